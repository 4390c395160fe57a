"""
Joins bench/gpu.sh's rows (the browser's WebGPU bench and PyTorch eager fp32, JSON lines on stdin) into one
table per case: ms per step, tokens/s, peak bytes, and WebGPU's speed as a share of PyTorch's on the same
machine (tokens/s ratio; the goal on a real GPU is ≥ 0.5). Exits 1 when a case lacks either row.
"""
import json
import sys

rows = [json.loads(l) for l in sys.stdin if l.startswith("{")]
web = {r["case"]: r for r in rows if r.get("backend") == "webgpu"}
torch_rows = {r["case"]: r for r in rows if str(r.get("backend", "")).startswith("torch-")}
missing = False
print("| case | batch × seq | WebGPU ms/step | PyTorch ms/step | WebGPU tokens/s | PyTorch tokens/s | WebGPU / PyTorch | WebGPU adapter | PyTorch device | peak bytes WebGPU (model) | peak bytes PyTorch |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for case in sorted(set(web) | set(torch_rows)):
    w, t = web.get(case), torch_rows.get(case)
    if not w or not t or "error" in w or "tokensPerSec" not in t:
        missing = True
        print(f"| {case} | – | {'error: ' + w['error'] if w and 'error' in w else ('missing' if not w else w['msPerStep'])} | {t['msPerStep'] if t and 'msPerStep' in t else 'missing'} | | | | | | | |")
        continue
    ratio = w["tokensPerSec"] / t["tokensPerSec"]
    adapter = w.get("adapter", "?") + (" (software)" if w.get("softwareAdapter") else "")
    print(f"| {case} | {w['batch']} × {w['seqLen']} | {w['msPerStep']} | {t['msPerStep']} | {w['tokensPerSec']} | {t['tokensPerSec']} | **{ratio:.2f}×** | {adapter} | {t.get('gpu', t['backend'])} | {w.get('peakBytes', '–')} ({w.get('modelPeakBytes', '–')}) | {t.get('peakBytes', '–')} |")
sys.exit(1 if missing else 0)
