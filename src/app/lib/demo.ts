/** The demo CSV shipped in public/ (SemEval-2017 Task 5 microblogs; see public/data/NOTICE.md). */
export const DEMO_CSV_URL = `${import.meta.env.BASE_URL}data/semeval2017-task5-microblogs.csv`;
export const EMBEDDED_MODEL = { kind: 'url' as const, baseUrl: `${import.meta.env.BASE_URL}models/tiny-roberta/`, id: 'rank-lab/tiny-roberta' };
