/**
 * FNV-1a (32-bit) over UTF-16 code units: a stable, dependency-free hash that runs anywhere (no
 * node:crypto, so it is safe on the edge). Good enough to spread ids evenly over 100 buckets.
 */
export function fnv1a32(input: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The caller's bucket 0..99 for a flag: the same id always lands in the same bucket for that flag. */
export function rolloutBucket(flag: string, id: string): number {
  return fnv1a32(`${flag}:${id}`) % 100;
}
