package remoting

import (
	"encoding/binary"
	"fmt"
)

// FrameDecoder decodes frames as DecodeFrame does, for one goroutine that reads many of
// them (a load generator's responses): it keeps the strings of extFields keys and short
// values across frames and leaves extFields as pairs (Ext and LookupExt read them, LoadExt
// builds the map), so a frame with a few extFields costs about two allocations and no map.
// The zero value is ready to use; it is not safe for concurrent use.
type FrameDecoder struct {
	// SkipExt, when set, checks each frame's extFields as Decode would but keeps none (the
	// Command has no extFields): for a reader that needs only the code, opaque and remark
	// (a load generator's send answers).
	SkipExt bool
	in      interner
}

func allPairs(int16) bool { return true }

// Decode decodes b, the bytes that follow a frame's length word (the header-length word,
// the header and the body), into c, which it overwrites. c.Body aliases b.
func (d *FrameDecoder) Decode(b []byte, c *Command) error {
	if len(b) < 4 {
		return fmt.Errorf("%w: %d bytes", ErrBadLength, len(b))
	}
	st, hl, err := splitHeaderWord(binary.BigEndian.Uint32(b), len(b))
	if err != nil {
		return err
	}
	*c = Command{Serialize: st}
	d.in.pairsFor = allPairs
	d.in.skipExt = d.SkipExt
	if st == JSON {
		err = decodeJSONHeader(b[4:4+hl], c, &d.in)
	} else {
		err = decodeRocketMQHeader(b[4:4+hl], c, &d.in)
	}
	if err != nil {
		return err
	}
	if body := b[4+hl:]; len(body) > 0 {
		c.Body = body
	}
	return nil
}
