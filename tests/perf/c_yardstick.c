/* Plain single-threaded C yardsticks for the MCMC ratio gates (tests/perf/c_yardstick.py).
 *
 * States are int8 arrays (B, Lx, Ly), row-major, on an Lx x Ly torus with Lx, Ly even:
 * Ising spins +-1, Potts values 0..q-1.  Random numbers: one 64-bit xorshift generator
 * (Marsaglia 2003, shifts 13, 7, 17); a uniform u = (x >> 40) * 2^-24 (float), an integer in
 * [0, m) = ((x >> 32) * m) >> 32.  Checkerboard sweeps visit colour 0 ((i + j) even), then
 * colour 1, each chain in turn, and look acceptances up in tables made by the caller:
 *   ising_sweeps:            P(flip) at index s (n + 5) + 9, n the neighbour sum;
 *   potts_metropolis_sweeps: P(accept) at index n(a) - n(s) + 4 for the proposal a = s + r;
 *   potts_heatbath_sweeps:   weight of value a at index n(a) (n(a) neighbours of value a).
 * swendsen_wang_sweeps: FK bonds opened with probability p between equal neighbours,
 * union-find (union by index, path halving) per chain, a uniform new value per cluster.
 * wolff_sweeps: per chain a uniform seed site whose cluster grows from a stack (each bond to
 * a neighbour of the seed's old value opened with probability p, once), changed as it grows. */
#include <stdint.h>

static inline uint64_t next(uint64_t *state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

static inline float uniform(uint64_t *state) { return (float)(next(state) >> 40) * 0x1p-24f; }

static inline uint32_t below(uint64_t *state, uint32_t m) {
    return (uint32_t)(((next(state) >> 32) * (uint64_t)m) >> 32);
}

#define NEIGHBOURS                                                                  \
    int64_t up = (i == 0 ? Lx - 1 : i - 1) * Ly, down = (i == Lx - 1 ? 0 : i + 1) * Ly; \
    int64_t row = i * Ly;

int64_t ising_sweeps(int8_t *s, int64_t B, int64_t Lx, int64_t Ly, const float *table,
                     int64_t n_sweeps, uint64_t *state) {
    int64_t flips = 0;
    for (int64_t t = 0; t < n_sweeps; t++)
        for (int colour = 0; colour < 2; colour++)
            for (int64_t b = 0; b < B; b++) {
                int8_t *x = s + b * Lx * Ly;
                for (int64_t i = 0; i < Lx; i++) {
                    NEIGHBOURS
                    for (int64_t j = (i + colour) & 1; j < Ly; j += 2) {
                        int64_t left = j == 0 ? Ly - 1 : j - 1, right = j == Ly - 1 ? 0 : j + 1;
                        int n = x[up + j] + x[down + j] + x[row + left] + x[row + right];
                        int8_t v = x[row + j];
                        if (uniform(state) < table[v * (n + 5) + 9]) {
                            x[row + j] = (int8_t)-v;
                            flips++;
                        }
                    }
                }
            }
    return flips;
}

int64_t potts_metropolis_sweeps(int8_t *s, int64_t B, int64_t Lx, int64_t Ly, int q,
                                const float *table, int64_t n_sweeps, uint64_t *state) {
    int64_t flips = 0;
    for (int64_t t = 0; t < n_sweeps; t++)
        for (int colour = 0; colour < 2; colour++)
            for (int64_t b = 0; b < B; b++) {
                int8_t *x = s + b * Lx * Ly;
                for (int64_t i = 0; i < Lx; i++) {
                    NEIGHBOURS
                    for (int64_t j = (i + colour) & 1; j < Ly; j += 2) {
                        int64_t left = j == 0 ? Ly - 1 : j - 1, right = j == Ly - 1 ? 0 : j + 1;
                        int8_t v = x[row + j];
                        int8_t a = (int8_t)((v + 1 + (int)below(state, (uint32_t)(q - 1))) % q);
                        int8_t nb[4] = {x[up + j], x[down + j], x[row + left], x[row + right]};
                        int d = 0;
                        for (int k = 0; k < 4; k++) d += (nb[k] == a) - (nb[k] == v);
                        if (uniform(state) < table[d + 4]) {
                            x[row + j] = a;
                            flips++;
                        }
                    }
                }
            }
    return flips;
}

int64_t potts_heatbath_sweeps(int8_t *s, int64_t B, int64_t Lx, int64_t Ly, int q,
                              const double *table, int64_t n_sweeps, uint64_t *state) {
    int64_t flips = 0;
    int counts[128];
    double cdf[128];
    for (int64_t t = 0; t < n_sweeps; t++)
        for (int colour = 0; colour < 2; colour++)
            for (int64_t b = 0; b < B; b++) {
                int8_t *x = s + b * Lx * Ly;
                for (int64_t i = 0; i < Lx; i++) {
                    NEIGHBOURS
                    for (int64_t j = (i + colour) & 1; j < Ly; j += 2) {
                        int64_t left = j == 0 ? Ly - 1 : j - 1, right = j == Ly - 1 ? 0 : j + 1;
                        for (int a = 0; a < q; a++) counts[a] = 0;
                        counts[x[up + j]]++;
                        counts[x[down + j]]++;
                        counts[x[row + left]]++;
                        counts[x[row + right]]++;
                        double total = 0.0;
                        for (int a = 0; a < q; a++) cdf[a] = total += table[counts[a]];
                        double u = (double)(next(state) >> 11) * 0x1p-53 * total;
                        int8_t a = 0;
                        while (a < q - 1 && cdf[a] <= u) a++;
                        flips += a != x[row + j];
                        x[row + j] = a;
                    }
                }
            }
    return flips;
}

static inline int32_t find(int32_t *parent, int32_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
}

static inline void join(int32_t *parent, int32_t i, int32_t j) {
    i = find(parent, i);
    j = find(parent, j);
    if (i < j) parent[j] = i;
    else if (j < i) parent[i] = j;
}

/* parent: int32 work array of Lx*Ly; value: int8 work array of Lx*Ly.  ising: spins +-1
 * (new spin 1 - 2v), else Potts values.  Returns the number of clusters over all sweeps. */
int64_t swendsen_wang_sweeps(int8_t *s, int64_t B, int64_t Lx, int64_t Ly, int q, int ising,
                             double p, int64_t n_sweeps, uint64_t *state, int32_t *parent,
                             int8_t *value) {
    int64_t n = Lx * Ly, clusters = 0;
    uint64_t threshold = (uint64_t)(p * 0x1p53);
    for (int64_t t = 0; t < n_sweeps; t++)
        for (int64_t b = 0; b < B; b++) {
            int8_t *x = s + b * n;
            for (int32_t k = 0; k < n; k++) parent[k] = k;
            for (int64_t i = 0; i < Lx; i++) {
                int64_t down = (i == Lx - 1 ? 0 : i + 1) * Ly, row = i * Ly;
                for (int64_t j = 0; j < Ly; j++) {
                    int64_t right = j == Ly - 1 ? 0 : j + 1;
                    if (x[row + j] == x[row + right] && (next(state) >> 11) < threshold)
                        join(parent, (int32_t)(row + j), (int32_t)(row + right));
                    if (x[row + j] == x[down + j] && (next(state) >> 11) < threshold)
                        join(parent, (int32_t)(row + j), (int32_t)(down + j));
                }
            }
            for (int32_t k = 0; k < n; k++) {
                int32_t root = find(parent, k);
                if (root == k) {
                    value[k] = (int8_t)below(state, (uint32_t)q);
                    clusters++;
                }
                x[k] = ising ? (int8_t)(1 - 2 * value[root]) : value[root];
            }
        }
    return clusters;
}

/* stack: int32 work array of Lx*Ly.  One Wolff update of each chain per sweep: seed uniform on
 * the sites, new value -v (ising) or (v + r) mod q with r uniform in 1..q-1; a site changes
 * when it joins, so it is pushed once and a bond inside the cluster is never tested.  Returns
 * the number of changed sites over all sweeps (one cluster per chain per sweep). */
int64_t wolff_sweeps(int8_t *s, int64_t B, int64_t Lx, int64_t Ly, int q, int ising, double p,
                     int64_t n_sweeps, uint64_t *state, int32_t *stack) {
    int64_t n = Lx * Ly, changed = 0;
    uint64_t threshold = (uint64_t)(p * 0x1p53);
    for (int64_t t = 0; t < n_sweeps; t++)
        for (int64_t b = 0; b < B; b++) {
            int8_t *x = s + b * n;
            int32_t seed = (int32_t)below(state, (uint32_t)n);
            int8_t old = x[seed];
            int8_t new = ising ? (int8_t)-old
                               : (int8_t)((old + 1 + (int)below(state, (uint32_t)(q - 1))) % q);
            x[seed] = new;
            stack[0] = seed;
            int64_t top = 1;
            changed++;
            while (top > 0) {
                int32_t k = stack[--top];
                int64_t i = k / Ly, j = k % Ly;
                int32_t nb[4] = {
                    (int32_t)((i == 0 ? Lx - 1 : i - 1) * Ly + j),
                    (int32_t)((i == Lx - 1 ? 0 : i + 1) * Ly + j),
                    (int32_t)(i * Ly + (j == 0 ? Ly - 1 : j - 1)),
                    (int32_t)(i * Ly + (j == Ly - 1 ? 0 : j + 1)),
                };
                for (int d = 0; d < 4; d++) {
                    int32_t m = nb[d];
                    if (x[m] == old && (next(state) >> 11) < threshold) {
                        x[m] = new;
                        stack[top++] = m;
                        changed++;
                    }
                }
            }
        }
    return changed;
}
