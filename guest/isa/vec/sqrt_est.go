package vec

import "math"

// sqrtEstimate returns an approximation of √(hi:lo) (hi:lo ≥ 2^120) to
// seed isqrt128. Only the integer algorithm's correction decides the result.
func sqrtEstimate(hi, lo uint64) uint64 {
	v := float64(hi)*0x1p64 + float64(lo)
	s := math.Sqrt(v)
	if s >= 0x1p64 {
		return math.MaxUint64
	}
	return uint64(s)
}
