package thunks

import (
	"errors"
	"fmt"
	"strconv"
)

// MaxFormatArgs is the most argument slots minemu_format accepts.
const MaxFormatArgs = 16

// maxFormatOutput bounds the formatted string: MaxString bytes, inclusive.
const maxFormatOutput = MaxString

// formatSlots renders the small printf dialect of minemu_format:
//
//	%d  int, signed decimal          (low 32 bits of the slot)
//	%u  unsigned int, decimal        (low 32 bits)
//	%x  unsigned int, lower-case hex (low 32 bits)
//	%c  char                         (low 8 bits)
//	%s  const char * (NULL → "(null)")
//	%p  pointer, "0x…" hex of the guest-width slot (NULL → "(nil)")
//	%%  a literal %
//
// There are no flags, widths or length modifiers: any other conversion,
// a trailing lone %, too few slots or too many slots is an error, so a
// guest/host disagreement is reported instead of printing garbage. str
// reads a guest C string.
func formatSlots(format string, slots []uint64, str func(uint64) (string, error)) (string, error) {
	out := make([]byte, 0, len(format)+16)
	next := 0
	take := func() (uint64, error) {
		if next >= len(slots) {
			return 0, errors.New("more conversions than arguments")
		}
		next++
		return slots[next-1], nil
	}
	for i := 0; i < len(format); i++ {
		ch := format[i]
		if ch != '%' {
			out = append(out, ch)
			continue
		}
		i++
		if i == len(format) {
			return "", errors.New("format ends with a lone %")
		}
		conv := format[i]
		if conv == '%' {
			out = append(out, '%')
			continue
		}
		v, err := take()
		if err != nil {
			return "", err
		}
		switch conv {
		case 'd':
			out = strconv.AppendInt(out, int64(int32(uint32(v))), 10)
		case 'u':
			out = strconv.AppendUint(out, uint64(uint32(v)), 10)
		case 'x':
			out = strconv.AppendUint(out, uint64(uint32(v)), 16)
		case 'c':
			out = append(out, byte(v))
		case 'p':
			if v == 0 {
				out = append(out, "(nil)"...)
			} else {
				out = append(out, "0x"...)
				out = strconv.AppendUint(out, v, 16)
			}
		case 's':
			if v == 0 {
				out = append(out, "(null)"...)
				break
			}
			s, err := str(v)
			if err != nil {
				return "", fmt.Errorf("%%s argument %d at %#x: %w", next, v, err)
			}
			out = append(out, s...)
		default:
			return "", fmt.Errorf("unsupported conversion %%%c", conv)
		}
		if len(out) > maxFormatOutput {
			return "", errTooLong
		}
	}
	if len(out) > maxFormatOutput {
		return "", errTooLong
	}
	if next != len(slots) {
		return "", fmt.Errorf("%d arguments for %d conversions", len(slots), next)
	}
	return string(out), nil
}
