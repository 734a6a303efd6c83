"""Where a V8 CPU profile's time went: idle (waiting, e.g. for the GPU), garbage collection,
native code and the JavaScript functions with the most self time.
  python3 bench/gpu/cpuprofile.py webgpu-pgd7.cpuprofile [top]
"""
import json, sys
from collections import defaultdict


def main():
    prof = json.load(open(sys.argv[1]))
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    nodes = {n['id']: n for n in prof['nodes']}
    self_us = defaultdict(float)
    for node_id, dt in zip(prof['samples'], prof['timeDeltas']):
        self_us[node_id] += dt
    total = sum(self_us.values())
    by_name = defaultdict(float)
    for node_id, us in self_us.items():
        f = nodes[node_id]['callFrame']
        name = f['functionName'] or '(anonymous)'
        where = 'native' if not f['url'] else f"{f['url'].rsplit('/', 1)[-1]}:{f['lineNumber'] + 1}"
        by_name[name if name.startswith('(') else f'{name} [{where}]'] += us
    print(f'{total / 1e3:.0f} ms sampled')
    for name, us in sorted(by_name.items(), key=lambda kv: -kv[1])[:top]:
        print(f'  {us / 1e3:9.1f} ms {100 * us / total:5.1f} %  {name}')


if __name__ == '__main__':
    main()
