/** Plain data the pages pass around (no tensors, nothing from the workers' internals). */
export type Page = 'data' | 'model' | 'search' | 'run' | 'results' | 'history' | 'playground';
