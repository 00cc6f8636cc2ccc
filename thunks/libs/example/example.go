// Package example is the example thunk library of docs/thunks.md: host
// functions written in Go that a guest calls through generated stubs, two
// of which call guest functions back through pointers the guest passes
// (a qsort-style comparator and a tree visitor, nested and re-entrant).
//
// The declaration is Library below; the guest side,
// tests/guests/include/minemu_example.{h,c}, is generated from it
// (go generate), and `minemu thunks build ./thunks/libs/example` builds a
// minemu that includes it.
package example

import (
	"encoding/binary"
	"errors"

	"github.com/minemu/minemu/mm"
	"github.com/minemu/minemu/thunks"
	"golang.org/x/sys/unix"
)

//go:generate go run ../../gen -lib example -o ../../../tests/guests/include/minemu_example.h -stubs ../../../tests/guests/include/minemu_example.c

// Library is the declaration: the C side of every function and its Go
// implementation.
var Library = &thunks.Library{
	Name: "example",
	Doc:  "the example library of docs/thunks.md (sum, a sort and a tree walk with guest callbacks).",
	Prelude: `/* A comparator as qsort takes it; a tree node and its visitor. */
typedef int (*example_cmp_fn)(const void *a, const void *b);
struct example_node {
	int value;
	struct example_node *child[2];
};
typedef int (*example_visit_fn)(void *ctx, const struct example_node *node, int depth);`,
	Types: map[string]thunks.Kind{"example_cmp_fn": thunks.KindPtr, "example_visit_fn": thunks.KindPtr},
	Funcs: []thunks.Function{
		{Decl: "long example_sum(const int *v, size_t n)", Impl: sum,
			Doc: "The sum of n ints; -EFAULT if they are not readable guest memory."},
		{Decl: "int example_sort(void *base, size_t n, size_t size, example_cmp_fn cmp)", Impl: sort,
			Doc: "Sorts n elements of size bytes with the guest's comparator (stable, like a merge sort); 0, or -EINVAL / -EFAULT (nothing moved)."},
		{Decl: "long example_visit(const struct example_node *root, example_visit_fn visit, void *ctx)", Impl: visit,
			Doc: "Walks the tree depth first, calling visit(ctx, node, depth) on each node until it returns non-zero; the number of nodes visited, or -EFAULT, -ELOOP (deeper than 10000 or more than 1000000 nodes)."},
	},
}

func init() { thunks.Include(Library) }

// negErrno is -e in the result slot of a long or int result.
func negErrno(e unix.Errno) uint64 { return uint64(-int64(e)) }

func sum(c thunks.Call) (uint64, error) {
	v, n := c.Ptr(0), c.Arg(1)
	if n > thunks.MaxBuffer/4 {
		return negErrno(unix.EINVAL), nil
	}
	b, err := c.Read(v, 4*n)
	if err != nil {
		return negErrno(unix.EFAULT), nil
	}
	var s int64
	for i := uint64(0); i < n; i++ {
		s += int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return uint64(s), nil
}

// sort orders the indexes of the elements with a merge sort whose
// comparisons call the guest's comparator on the elements where they lie
// (the array does not change while it runs, so a comparator may read the
// array, or sort another one), then writes the elements in their new
// order. The elements are read again after the last comparison: what the
// comparator wrote into the array in the meantime is what gets moved.
func sort(c thunks.Call) (uint64, error) {
	base, n, size, cmp := c.Ptr(0), c.Arg(1), c.Arg(2), c.Arg(3)
	if n < 2 {
		return 0, nil
	}
	if size == 0 || n > thunks.MaxBuffer/size {
		return negErrno(unix.EINVAL), nil
	}
	if c.CheckFunc(cmp) != nil {
		return negErrno(unix.EINVAL), nil
	}
	if c.CheckRW(base, n*size) != nil {
		return negErrno(unix.EFAULT), nil
	}
	elem := func(i uint64) uint64 { return uint64(base) + i*size }
	var fatal error
	less := func(i, j uint64) bool { // element i strictly before element j
		if fatal != nil {
			return false
		}
		r, err := c.CallGuest(cmp, elem(i), elem(j))
		if err != nil {
			fatal = err
			return false
		}
		return int32(uint32(r)) < 0
	}
	idx := make([]uint64, n)
	for i := range idx {
		idx[i] = uint64(i)
	}
	tmp := make([]uint64, n)
	mergeSort(idx, tmp, less)
	if fatal != nil {
		return 0, fatal
	}
	old, err := c.Read(base, n*size)
	if err != nil {
		return negErrno(unix.EFAULT), nil // the comparator unmapped it
	}
	out := make([]byte, 0, n*size)
	for _, i := range idx {
		out = append(out, old[i*size:(i+1)*size]...)
	}
	if err := c.Write(base, out); err != nil {
		return negErrno(unix.EFAULT), nil
	}
	return 0, nil
}

// mergeSort sorts idx stably by less, with tmp as scratch of the same
// length.
func mergeSort(idx, tmp []uint64, less func(i, j uint64) bool) {
	if len(idx) < 2 {
		return
	}
	m := len(idx) / 2
	mergeSort(idx[:m], tmp[:m], less)
	mergeSort(idx[m:], tmp[m:], less)
	copy(tmp, idx)
	i, j, k := 0, m, 0
	for i < m && j < len(idx) {
		if less(tmp[j], tmp[i]) {
			idx[k] = tmp[j]
			j++
		} else {
			idx[k] = tmp[i]
			i++
		}
		k++
	}
	k += copy(idx[k:], tmp[i:m])
	copy(idx[k:], tmp[j:])
}

// Bounds of visit: a tree is a guest structure, so a cycle or a very deep
// chain must end the walk, not the host.
const (
	maxVisitDepth = 10000
	maxVisitNodes = 1000000
)

var (
	errLoop    = errors.New("tree too deep or too large")
	errBadNode = errors.New("node not in read-write guest memory")
)

// visit walks the tree in guest memory. Each node is read (and checked)
// when the walk reaches it; the visitor may call example_visit again on
// any tree, which nests the callbacks.
func visit(c thunks.Call) (uint64, error) {
	root, fn, ctx := c.Ptr(0), c.Arg(1), c.Arg(2)
	if c.CheckFunc(fn) != nil {
		return negErrno(unix.EINVAL), nil
	}
	w := c.Width()
	var count uint64
	var walk func(node mm.Addr, depth int) (stop bool, err error)
	walk = func(node mm.Addr, depth int) (bool, error) {
		if node == 0 {
			return false, nil
		}
		if depth > maxVisitDepth || count >= maxVisitNodes {
			return true, errLoop
		}
		// struct example_node: int value at 0, child[0] at w, child[1] at 2w.
		if c.CheckRW(node, 3*w) != nil {
			return true, errBadNode
		}
		kids := [2]uint64{}
		for i := range kids {
			v, err := c.ReadWord(node + mm.Addr(uint64(i+1)*w))
			if err != nil {
				return true, errBadNode
			}
			kids[i] = v
		}
		count++
		r, err := c.CallGuest(fn, ctx, uint64(node), uint64(depth))
		if err != nil {
			return true, err
		}
		if uint32(r) != 0 {
			return true, nil
		}
		for _, k := range kids {
			if stop, err := walk(mm.Addr(k), depth+1); stop || err != nil {
				return stop, err
			}
		}
		return false, nil
	}
	_, err := walk(root, 0)
	switch {
	case errors.Is(err, errLoop):
		return negErrno(unix.ELOOP), nil
	case errors.Is(err, errBadNode):
		return negErrno(unix.EFAULT), nil
	case err != nil:
		return 0, err // a callback failed: fatal
	}
	return count, nil
}
