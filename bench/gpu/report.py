"""Prints the GPU measurement: tfjs-webgpu (Dawn, Node) against eager PyTorch on the same machine,
images/s per workload and their ratio, and writes both runs plus the ratios to one JSON file.
  python3 bench/gpu/report.py webgpu.json torch.json [combined.json]
"""
import json, sys

LABELS = {'forward': 'forward', 'clean': 'clean train step', 'pgd7': 'PGD-7 train step', 'pgd20': 'PGD-20 robust eval'}


def main():
    tfjs = json.load(open(sys.argv[1]))
    torch_runs = json.load(open(sys.argv[2]))
    ref = next((r for r in torch_runs if r['plan']['batch'] == tfjs['plan']['batch']), torch_runs[0])
    by = {t['workload']: t for t in ref['timings']}
    print(f"tfjs {tfjs['versions'].get('tfjs')} webgpu on: {tfjs.get('adapter')}")
    print(f"{ref['backend']} {ref['versions'].get('torch')} on: {ref.get('adapter')}")
    print(f"batch {tfjs['plan']['batch']}, median of {tfjs['plan']['reps']} (tfjs) / {ref['plan']['reps']} (torch) runs after warm-up")
    print(f"{'workload':<20} {'tfjs-webgpu img/s':>18} {'torch img/s':>12} {'ratio':>7}")
    ratios = {}
    for t in tfjs['timings']:
        r = by.get(t['workload'])
        ratio = t['imagesPerSec'] / r['imagesPerSec'] if r else None
        ratios[t['workload']] = ratio
        print(f"{LABELS[t['workload']]:<20} {t['imagesPerSec']:>18.4g} {r['imagesPerSec'] if r else float('nan'):>12.4g} "
              f"{'%.3gx' % ratio if ratio else '-':>7}")
    stock = {t['workload']: t for t in tfjs.get('stockKernels', [])}
    for w, t in stock.items():
        ours = next((x for x in tfjs['timings'] if x['workload'] == w), None)
        gain = f", advtune's kernels {ours['imagesPerSec'] / t['imagesPerSec']:.3g}x faster" if ours else ''
        print(f"{LABELS[w]} on tfjs's own kernels: {t['imagesPerSec']:.4g} images/s{gain}")
    h = tfjs.get('hostOnly')
    if h:
        ms = sorted(h['ms'])[len(h['ms']) // 2]
        print(f"PGD-7 train step with every dispatch emptied (the host's share): {ms:.1f} ms per step, {h['imagesPerSec']:.4g} images/s")
    p = tfjs.get('profile')
    if p:
        print(f"profile, one PGD-7 step: {p['stepMs']:.0f} ms wall, {p['kernelMs']:.1f} ms in {p['kernelCalls']} kernel calls")
        for r in p['byKernel'][:12]:
            print(f"  {r['kernel']:<24} {r['calls']:>5} calls {r['ms']:>8.1f} ms {100 * r['share']:>5.1f} %")
    if tfjs.get('memory'):
        m = tfjs['memory']
        print(f"tfjs tensors {m['before']['numTensors']} -> {m['after']['numTensors']} over {m['steps']} steps, "
              f"GPU bytes {m['before'].get('numBytesInGPU')} -> {m['after'].get('numBytesInGPU')}")
    if len(sys.argv) > 3:
        json.dump({'tfjs': tfjs, 'torch': ref, 'ratios': ratios}, open(sys.argv[3], 'w'), indent=2)


if __name__ == '__main__':
    main()
