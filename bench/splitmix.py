"""splitmix64, the generator bench_word_vectors.cpp and src/core/walk.cpp use to pick
query words and random-walk points, for the Python peers (no imports: cheap to load)."""

MASK = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)
