package hostcall

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCmsgsIn: i386 control messages (12-byte headers, 4-byte alignment)
// become the host's (16-byte headers, 8-byte alignment, each message
// padded to it, as cmsghdr_from_user_compat_to_kern lays them out).
func TestCmsgsIn(t *testing.T) {
	hdr32 := func(n, level, typ uint32, payload ...byte) []byte {
		b := le.AppendUint32(nil, n)
		b = le.AppendUint32(b, level)
		b = le.AppendUint32(b, typ)
		return append(b, payload...)
	}
	hdr64 := func(n uint64, level, typ uint32, payload ...byte) []byte {
		b := le.AppendUint64(nil, n)
		b = le.AppendUint32(b, level)
		b = le.AppendUint32(b, typ)
		return append(b, payload...)
	}
	rights := []byte{3, 0, 0, 0}
	cred := []byte{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0}
	pad := []byte{0, 0, 0, 0}
	for _, c := range []struct {
		name string
		in   []byte
		want []byte
		err  unix.Errno
	}{
		{"one fd", hdr32(16, 1, 1, rights...), append(hdr64(20, 1, 1, rights...), pad...), 0},
		{"fd then creds", append(hdr32(16, 1, 1, rights...), hdr32(24, 1, 2, cred...)...),
			append(append(append(hdr64(20, 1, 1, rights...), pad...), hdr64(28, 1, 2, cred...)...), pad...), 0},
		{"trailing bytes ignored", append(hdr32(16, 1, 1, rights...), 9, 9), append(hdr64(20, 1, 1, rights...), pad...), 0},
		{"length below header", hdr32(8, 1, 1, rights...), nil, unix.EINVAL},
		{"length past buffer", hdr32(40, 1, 1, rights...), nil, unix.EINVAL},
		{"no message", []byte{1, 2, 3}, nil, unix.EINVAL},
	} {
		got, err := cmsgsIn(c.in)
		if err != c.err || !bytes.Equal(got, c.want) {
			t.Errorf("%s: got % x, %v; want % x, %v", c.name, got, err, c.want, c.err)
		}
	}
}

// hostCmsg is one host control message, padded to 8 bytes.
func hostCmsg(level, typ uint32, payload []byte) []byte {
	b := le.AppendUint64(nil, uint64(16+len(payload)))
	b = le.AppendUint32(b, level)
	b = le.AppendUint32(b, typ)
	b = append(b, payload...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// TestCmsgsOut: the host's control messages become i386's: timestamps
// shrink to 32-bit fields, a message that does not fit is cut with
// MSG_CTRUNC, and descriptors that do not fit, or lie at or above the
// guest's RLIMIT_NOFILE, are closed.
func TestCmsgsOut(t *testing.T) {
	tv := le.AppendUint64(le.AppendUint64(nil, 1<<32+7), 9) // seconds truncated
	want := []byte{20, 0, 0, 0, 1, 0, 0, 0, soTimestampOld, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0}
	out, flags := cmsgsOut(hostCmsg(unix.SOL_SOCKET, soTimestampOld, tv), 64, 1024)
	if flags != 0 || !bytes.Equal(out, want) {
		t.Fatalf("timestamp: % x %#x, want % x 0", out, flags, want)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	open := func(fd int) bool {
		_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		return err == nil
	}
	for _, c := range []struct {
		name         string
		room, nofile uint64
		keep0, keep1 bool
		wantLen      int
		wantTrunc    bool
	}{
		{"both fit", 20, 1 << 20, true, true, 20, false},
		{"room for one", 16, 1 << 20, true, false, 16, true},
		{"room for none", 12, 1 << 20, false, false, 0, true},
		{"above the limit", 20, 0, false, false, 0, true},
	} {
		d0, _ := unix.Dup(p[0])
		d1, _ := unix.Dup(p[1])
		fds := le.AppendUint32(le.AppendUint32(nil, uint32(d0)), uint32(d1))
		out, flags := cmsgsOut(hostCmsg(unix.SOL_SOCKET, unix.SCM_RIGHTS, fds), c.room, c.nofile)
		if len(out) != c.wantLen || (flags&unix.MSG_CTRUNC != 0) != c.wantTrunc ||
			open(d0) != c.keep0 || open(d1) != c.keep1 {
			t.Errorf("%s: % x %#x, open %v %v", c.name, out, flags, open(d0), open(d1))
		}
		if c.keep0 && le.Uint32(out[12:]) != uint32(d0) {
			t.Errorf("%s: first descriptor % x", c.name, out)
		}
		unix.Close(d0)
		unix.Close(d1)
	}
	// Payload cut: 14 bytes of room for a 20-byte message.
	out, flags = cmsgsOut(hostCmsg(unix.SOL_IP, 8, make([]byte, 8)), 14, 1024)
	if flags != unix.MSG_CTRUNC || len(out) != 14 || le.Uint32(out) != 14 {
		t.Fatalf("cut: % x %#x", out, flags)
	}
}

// FuzzCmsgsIn: any i386 control buffer translates or is EINVAL; what
// comes out is a sequence of well-formed host messages holding the same
// payload bytes.
func FuzzCmsgsIn(f *testing.F) {
	f.Add([]byte{16, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0})
	f.Add([]byte{12, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 13, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, in []byte) {
		out, errno := cmsgsIn(in)
		if errno != 0 {
			if out != nil {
				t.Fatalf("error %v with output", errno)
			}
			return
		}
		var payloads, inPayloads int
		for off := 0; off < len(out); {
			if len(out)-off < sizeofCmsghdrAMD64 {
				t.Fatalf("short header at %d of %d", off, len(out))
			}
			n := int(le.Uint64(out[off:]))
			if n < sizeofCmsghdrAMD64 || off+n > len(out) {
				t.Fatalf("bad length %d at %d of %d", n, off, len(out))
			}
			payloads += n - sizeofCmsghdrAMD64
			off += int(cmsgAlign8(uint64(n)))
		}
		for off := 0; off+sizeofCmsghdrI386 <= len(in); {
			n := int(le.Uint32(in[off:]))
			inPayloads += n - sizeofCmsghdrI386
			off += int(cmsgAlign4(uint64(n)))
		}
		if payloads != inPayloads {
			t.Fatalf("payload bytes %d, in %d", payloads, inPayloads)
		}
	})
}
