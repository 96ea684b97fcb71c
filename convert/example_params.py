"""Fixed parameters of the example models, shared by make_examples.py and reference.py.

Everything here is deterministic and independent of the Python version: values come from a
64-bit LCG (Knuth's MMIX constants), not from `random`, and every value is a multiple of
1/1024 in [-0.5, 0.5) so that it is exact in float32 (the graph and the float64 reference
start from identical numbers).
"""

# gru_counter sizes: x [B, 8], h [B, 16], y [B, 4].
GRU_INPUT = 8
GRU_HIDDEN = 16
GRU_OUTPUT = 4
# The step counter's initial value, written to gru_counter/initial_state/ (Triton data_file).
COUNTER_START = 100

_MASK64 = (1 << 64) - 1


class Lcg:
    """x <- x * 6364136223846793005 + 1442695040888963407 (mod 2^64); top bits give values."""

    def __init__(self, seed):
        self.state = seed & _MASK64

    def next_u64(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & _MASK64
        return self.state

    def value(self):
        """A multiple of 1/1024 in [-0.5, 0.5): exact in float32."""
        return ((self.next_u64() >> 54) - 512) / 1024.0  # top 10 bits: 0..1023

    def matrix(self, rows, cols):
        return [[self.value() for _ in range(cols)] for _ in range(rows)]

    def vector(self, n):
        return [self.value() for _ in range(n)]


def gru_weights():
    """GRU cell weights, PyTorch gate order (update z, reset r, candidate n).

    Returns a dict of row-major lists: W_z/W_r/W_n [8,16] (x @ W), U_z/U_r/U_n [16,16]
    (h @ U), b_z/b_r/b_n [16], W_y [16,4], b_y [4].
    """
    rng = Lcg(0x0A5717E5)
    w = {}
    for gate in ("z", "r", "n"):
        w["W_" + gate] = rng.matrix(GRU_INPUT, GRU_HIDDEN)
    for gate in ("z", "r", "n"):
        w["U_" + gate] = rng.matrix(GRU_HIDDEN, GRU_HIDDEN)
    for gate in ("z", "r", "n"):
        w["b_" + gate] = rng.vector(GRU_HIDDEN)
    w["W_y"] = rng.matrix(GRU_HIDDEN, GRU_OUTPUT)
    w["b_y"] = rng.vector(GRU_OUTPUT)
    return w
