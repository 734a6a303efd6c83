// Small statistics for benchmark repeats: the median is robust to one slow run on a shared machine.

export function median(xs: number[]): number {
  if (!xs.length) throw new Error('median of no values')
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
