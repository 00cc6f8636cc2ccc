package zlib

import (
	"bytes"
	"compress/zlib"
	"errors"
	"hash"
	"hash/adler32"
	"io"
	"sync"

	"github.com/minemu/minemu/mm"
	"github.com/minemu/minemu/thunks"
)

// z_stream, as zlib.h lays it out: every field one guest word wide (uInt
// and int are 4 bytes, padded to 8 on x86-64), 14 words in all.
const (
	fNextIn = iota
	fAvailIn
	fTotalIn
	fNextOut
	fAvailOut
	fTotalOut
	fMsg
	fState
	fZalloc
	fZfree
	fOpaque
	fDataType
	fAdler
	fReserved
	streamWords
)

// stateSize is what deflateInit_ and inflateInit_ ask zalloc for: the
// guest-memory block whose address is the stream's handle (strm->state).
// Nothing is kept in it; the stream lives on the host.
const stateSize = 64

// zUnknown is z_stream.data_type's "unknown".
const zUnknown = 2

// streams is the library's per-guest state: the live streams by their
// state pointer.
type streams struct {
	mu      sync.Mutex
	byState map[mm.Addr]*stream
}

// stream is the host side of one z_stream.
type stream struct {
	// strm is the address of the z_stream it was made for, state the
	// block zalloc returned; zfree, opaque are the guest's, or zero when
	// the state is on the host heap (zalloc NULL).
	strm, state   mm.Addr
	zfree, opaque uint64
	inflating     bool

	// deflate: the compressor writes into out; pending is the part not
	// yet copied to next_out.
	zw        *zlib.Writer
	out       bytes.Buffer
	started   bool // deflate was called (the zlib header is out)
	finished  bool // Z_FINISH seen: the compressor is closed
	lastFlush int  // the flush of the latest call that made no output pending
	// inSum is the Adler-32 of the input so far (z_stream.adler).
	inSum hash.Hash32

	// inflate: the decompressor runs in its own goroutine on feed.
	feed *feed
	// outSum is the Adler-32 of the output so far (z_stream.adler).
	outSum hash.Hash32
}

func (s *streams) get(p mm.Addr) *stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byState[p]
}

// zs is checked access to one z_stream in guest memory.
type zs struct {
	c    thunks.Call
	strm mm.Addr
}

func (z zs) field(i int) mm.Addr { return z.strm + mm.Addr(uint64(i)*z.c.Width()) }
func (z zs) word(i int) uint64 {
	v, _ := z.c.ReadWord(z.field(i)) // checked by open
	return v
}
func (z zs) setWord(i int, v uint64) { _ = z.c.WriteWord(z.field(i), v) }
func (z zs) u32(i int) uint32 {
	v, _ := z.c.ReadU32(z.field(i))
	return v
}
func (z zs) setU32(i int, v uint32) { _ = z.c.WriteU32(z.field(i), v) }

// open checks that strm is a whole z_stream in read-write guest memory.
func open(c thunks.Call, strm mm.Addr) (zs, bool) {
	if strm == 0 || c.CheckRW(strm, streamWords*c.Width()) != nil {
		return zs{}, false
	}
	return zs{c: c, strm: strm}, true
}

// lookup finds the host stream of strm: its state must be one this
// library made, for this very z_stream, of the right direction.
func lookup(c thunks.Call, strm mm.Addr, inflating bool) (zs, *stream, bool) {
	z, ok := open(c, strm)
	if !ok {
		return zs{}, nil, false
	}
	s := c.State().(*streams).get(mm.Addr(z.word(fState)))
	if s == nil || s.strm != strm || s.inflating != inflating {
		return zs{}, nil, false
	}
	return z, s, true
}

// versionOK is zlib's check of the caller's header: the same major
// version and the z_stream size of this ABI.
func versionOK(c thunks.Call, version mm.Addr, size int32) bool {
	v, err := c.CString(version)
	return err == nil && len(v) > 0 && v[0] == '1' && uint64(size) == streamWords*c.Width()
}

// newStream allocates the state block (zalloc called back, or the host
// heap when zalloc is NULL), fills in the z_stream and records the
// stream. It returns a zlib code, or an error when a callback failed.
func newStream(c thunks.Call, z zs, inflating bool) (*stream, int, error) {
	zalloc, zfree, opaque := z.word(fZalloc), z.word(fZfree), z.word(fOpaque)
	s := &stream{strm: z.strm, inflating: inflating, lastFlush: -1}
	switch {
	case zalloc == 0 && zfree == 0:
		p, err := c.Alloc(stateSize)
		if err != nil || p == 0 {
			return nil, zMemError, err
		}
		s.state = p
	case zalloc == 0 || zfree == 0:
		// zlib would fill in its own default for the missing one, which
		// would free memory the other never allocated.
		return nil, zStreamError, nil
	default:
		if c.CheckFunc(zalloc) != nil || c.CheckFunc(zfree) != nil {
			return nil, zStreamError, nil
		}
		p, err := c.CallGuest(zalloc, opaque, 1, stateSize)
		if err != nil {
			return nil, 0, err
		}
		if p == 0 {
			return nil, zMemError, nil
		}
		if c.CheckRW(mm.Addr(p), stateSize) != nil {
			c.Log().Info().Uint64("ptr", p).Msg("zalloc returned memory the host cannot write")
			return nil, zMemError, nil
		}
		s.state, s.zfree, s.opaque = mm.Addr(p), zfree, opaque
	}
	st := c.State().(*streams)
	st.mu.Lock()
	if st.byState[s.state] != nil {
		st.mu.Unlock()
		// zalloc handed out the state of a live stream: refuse, and
		// leave that block alone.
		return nil, zMemError, nil
	}
	st.byState[s.state] = s
	st.mu.Unlock()
	_ = c.Write(s.state, make([]byte, stateSize))
	z.setWord(fState, uint64(s.state))
	z.setWord(fMsg, 0)
	z.setWord(fTotalIn, 0)
	z.setWord(fTotalOut, 0)
	z.setWord(fAdler, 1)
	z.setU32(fDataType, zUnknown)
	return s, zOK, nil
}

// endStream forgets the stream and frees its state block (zfree called
// back, or the host heap).
func endStream(c thunks.Call, z zs, s *stream) error {
	st := c.State().(*streams)
	st.mu.Lock()
	delete(st.byState, s.state)
	st.mu.Unlock()
	z.setWord(fState, 0)
	if s.zfree == 0 {
		c.Free(s.state)
		return nil
	}
	_, err := c.CallGuest(s.zfree, s.opaque, uint64(s.state))
	return err
}

func deflateInit(c thunks.Call) (uint64, error) {
	strm, level := c.Ptr(0), int(c.Int(1))
	if !versionOK(c, c.Ptr(2), c.Int(3)) {
		return code(zVersionError), nil
	}
	z, ok := open(c, strm)
	lvl, lok := goLevel(level)
	if !ok || !lok {
		return code(zStreamError), nil
	}
	s, ret, err := newStream(c, z, false)
	if err != nil || ret != zOK {
		return code(ret), err
	}
	s.zw, _ = zlib.NewWriterLevel(&s.out, lvl)
	s.inSum = adler32.New()
	return code(zOK), nil
}

// drain copies pending output to next_out; it returns the bytes copied.
func drain(z zs, pending *bytes.Buffer) (uint64, bool) {
	next, avail := mm.Addr(z.word(fNextOut)), uint64(z.u32(fAvailOut))
	n := min(avail, uint64(pending.Len()))
	if n == 0 {
		return 0, true
	}
	if z.c.Write(next, pending.Bytes()[:n]) != nil {
		return 0, false
	}
	pending.Next(int(n))
	z.setWord(fNextOut, uint64(next)+n)
	z.setU32(fAvailOut, uint32(avail-n))
	z.setWord(fTotalOut, z.word(fTotalOut)+n)
	return n, true
}

// takeInput reads next_in (at most MaxBuffer bytes a call) and advances
// the z_stream past it.
func takeInput(z zs) ([]byte, bool) {
	next, avail := mm.Addr(z.word(fNextIn)), uint64(z.u32(fAvailIn))
	n := min(avail, thunks.MaxBuffer)
	in, err := z.c.Read(next, n)
	if err != nil {
		return nil, false
	}
	z.setWord(fNextIn, uint64(next)+n)
	z.setU32(fAvailIn, uint32(avail-n))
	z.setWord(fTotalIn, z.word(fTotalIn)+n)
	return in, true
}

func deflate(c thunks.Call) (uint64, error) {
	z, s, ok := lookup(c, c.Ptr(0), false)
	flush := int(c.Int(1))
	if !ok || flush < zNoFlush || flush > zBlock {
		return code(zStreamError), nil
	}
	if z.word(fNextOut) == 0 || z.u32(fAvailIn) != 0 && z.word(fNextIn) == 0 || s.finished && flush != zFinish {
		return code(zStreamError), nil
	}
	if z.u32(fAvailOut) == 0 {
		return code(zBufError), nil
	}
	if s.finished && z.u32(fAvailIn) != 0 {
		return code(zBufError), nil
	}
	hadPending := s.out.Len() > 0
	if !hadPending && z.u32(fAvailIn) == 0 && flush <= s.lastFlush && flush != zFinish {
		return code(zBufError), nil // no progress possible, as zlib says
	}
	in, ok := takeInput(z)
	if !ok {
		return code(zStreamError), nil
	}
	if !s.finished {
		s.zw.Write(in)
		s.inSum.Write(in)
		z.setWord(fAdler, uint64(s.inSum.Sum32()))
		switch {
		case flush == zFinish:
			s.zw.Close()
			s.finished = true
		case flush != zNoFlush && (len(in) > 0 || flush > s.lastFlush):
			// Z_PARTIAL_FLUSH, Z_SYNC_FLUSH, Z_FULL_FLUSH and Z_BLOCK
			// are all a sync flush here: the output so far is complete
			// and byte-aligned.
			s.zw.Flush()
		}
	}
	s.started = true
	if _, ok := drain(z, &s.out); !ok {
		return code(zStreamError), nil
	}
	if s.out.Len() > 0 {
		s.lastFlush = -1 // more to come: the next call makes progress
		return code(zOK), nil
	}
	s.lastFlush = flush
	if s.finished {
		return code(zStreamEnd), nil
	}
	return code(zOK), nil
}

func deflateEnd(c thunks.Call) (uint64, error) {
	z, s, ok := lookup(c, c.Ptr(0), false)
	if !ok {
		return code(zStreamError), nil
	}
	busy := s.started && !s.finished
	if err := endStream(c, z, s); err != nil {
		return 0, err
	}
	if busy {
		return code(zDataError), nil // freed before the end: output discarded
	}
	return code(zOK), nil
}

func inflateInit(c thunks.Call) (uint64, error) {
	strm := c.Ptr(0)
	if !versionOK(c, c.Ptr(1), c.Int(2)) {
		return code(zVersionError), nil
	}
	z, ok := open(c, strm)
	if !ok {
		return code(zStreamError), nil
	}
	s, ret, err := newStream(c, z, true)
	if err != nil || ret != zOK {
		return code(ret), err
	}
	s.feed = newFeed()
	s.outSum = adler32.New()
	return code(zOK), nil
}

func inflate(c thunks.Call) (uint64, error) {
	z, s, ok := lookup(c, c.Ptr(0), true)
	flush := int(c.Int(1))
	if !ok || flush < zNoFlush || flush > zTrees {
		return code(zStreamError), nil
	}
	if z.word(fNextOut) == 0 || z.u32(fAvailIn) != 0 && z.word(fNextIn) == 0 {
		return code(zStreamError), nil
	}
	f := s.feed
	next, avail := mm.Addr(z.word(fNextIn)), uint64(min(z.u32(fAvailIn), thunks.MaxBuffer))
	in, err := c.Read(next, avail)
	if err != nil {
		return code(zStreamError), nil
	}
	produced, ok := f.run(z, in, s.outSum)
	if !ok {
		return code(zStreamError), nil
	}
	consumed := f.takeBack(uint64(len(in)))
	z.setWord(fNextIn, uint64(next)+consumed)
	z.setU32(fAvailIn, z.u32(fAvailIn)-uint32(consumed))
	z.setWord(fTotalIn, z.word(fTotalIn)+consumed)
	z.setWord(fAdler, uint64(s.outSum.Sum32()))
	done, derr := f.status()
	switch {
	case done && f.pendingLen() == 0 && derr == nil:
		return code(zStreamEnd), nil
	case done && f.pendingLen() == 0 && errors.Is(derr, zlib.ErrDictionary):
		return code(zNeedDict), nil
	case done && f.pendingLen() == 0:
		return code(zDataError), nil
	case consumed == 0 && produced == 0 || flush == zFinish:
		return code(zBufError), nil
	}
	return code(zOK), nil
}

func inflateEnd(c thunks.Call) (uint64, error) {
	z, s, ok := lookup(c, c.Ptr(0), true)
	if !ok {
		return code(zStreamError), nil
	}
	s.feed.close()
	if err := endStream(c, z, s); err != nil {
		return 0, err
	}
	return code(zOK), nil
}

// feed runs Go's zlib reader in a goroutine over input that inflate
// pushes call by call: the reader blocks for more input (starved) when
// the input is used up, and for room when its output waits unread
// (maxPending). Everything is guarded by mu; cond signals every change.
type feed struct {
	mu   sync.Mutex
	cond *sync.Cond
	// in is the input given and not yet read by the decompressor.
	in []byte
	// pending is the output not yet copied to the guest.
	pending bytes.Buffer
	// starved: the decompressor waits for input with in empty.
	starved bool
	// done: the decompressor ended, with err (nil: the stream ended
	// cleanly and its checksum matched).
	done bool
	err  error
	// closed: inflateEnd; the decompressor's reads fail and it exits.
	closed bool
}

// maxPending bounds the output the decompressor runs ahead of the guest.
const maxPending = 256 << 10

var errClosed = errors.New("inflate stream ended")

func newFeed() *feed {
	f := &feed{}
	f.cond = sync.NewCond(&f.mu)
	go f.decompress()
	return f
}

func (f *feed) decompress() {
	var err error
	r, err := zlib.NewReader(f)
	if err == nil {
		var buf [32 << 10]byte
		for {
			n, rerr := r.Read(buf[:])
			f.mu.Lock()
			f.pending.Write(buf[:n])
			for f.pending.Len() >= maxPending && !f.closed {
				f.cond.Broadcast()
				f.cond.Wait()
			}
			closed := f.closed
			f.mu.Unlock()
			if rerr == io.EOF {
				break
			}
			if rerr != nil || closed {
				err = rerr
				if closed {
					err = errClosed
				}
				break
			}
		}
	}
	f.mu.Lock()
	f.done, f.err = true, err
	f.cond.Broadcast()
	f.mu.Unlock()
}

// ReadByte and Read serve the decompressor (flate.Reader: with ReadByte
// it reads no byte past the end of the stream).
func (f *feed) ReadByte() (byte, error) {
	var b [1]byte
	if _, err := f.Read(b[:]); err != nil {
		return 0, err
	}
	return b[0], nil
}

func (f *feed) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.in) == 0 && !f.closed {
		f.starved = true
		f.cond.Broadcast()
		f.cond.Wait()
	}
	f.starved = false
	if f.closed {
		return 0, errClosed
	}
	n := copy(p, f.in)
	f.in = f.in[n:]
	return n, nil
}

// run gives the decompressor in and copies its output to next_out until
// the output is full, or the decompressor needs more input or has ended.
// It returns the bytes written to the guest.
func (f *feed) run(z zs, in []byte, sum hash.Hash32) (uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.in = in
	f.cond.Broadcast()
	var produced uint64
	for {
		if f.pending.Len() > 0 {
			before := f.pending.Bytes()
			n, ok := drain(z, &f.pending)
			if !ok {
				return produced, false
			}
			sum.Write(before[:n])
			produced += n
			f.cond.Broadcast() // room for the decompressor
		}
		if z.u32(fAvailOut) == 0 || f.done && f.pending.Len() == 0 {
			return produced, true
		}
		if f.pending.Len() == 0 && f.starved && len(f.in) == 0 {
			return produced, true
		}
		f.cond.Wait()
	}
}

// takeBack takes the input the decompressor has not read back from it
// (the guest keeps it in next_in) and returns how much of the given
// bytes were consumed.
func (f *feed) takeBack(given uint64) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	left := uint64(len(f.in))
	f.in = nil
	return given - left
}

func (f *feed) status() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.done, f.err
}

func (f *feed) pendingLen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pending.Len()
}

func (f *feed) close() {
	f.mu.Lock()
	f.closed = true
	f.cond.Broadcast()
	f.mu.Unlock()
}
