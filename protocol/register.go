package protocol

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

// ErrRegisterBody is returned (wrapped) for a compressed RegisterBrokerBody that does not decode.
var ErrRegisterBody = errors.New("protocol: bad register broker body")

// MaxInflatedRegisterBody bounds the inflated size of a compressed RegisterBrokerBody.
const MaxInflatedRegisterBody = 64 << 20

// RegisterBrokerBody is the body of REGISTER_BROKER (RegisterBrokerBody.java).
type RegisterBrokerBody struct {
	FilterServerList            []string                    `json:"filterServerList"`
	TopicConfigSerializeWrapper TopicConfigSerializeWrapper `json:"topicConfigSerializeWrapper"`
}

// MarshalJSON writes an empty filter server list as [].
func (r RegisterBrokerBody) MarshalJSON() ([]byte, error) {
	type plain RegisterBrokerBody
	if r.FilterServerList == nil {
		r.FilterServerList = []string{}
	}
	if r.TopicConfigSerializeWrapper.TopicConfigTable == nil {
		r.TopicConfigSerializeWrapper.TopicConfigTable = map[string]TopicConfig{}
	}
	return json.Marshal(plain(r))
}

// BodyCRC32 is the checksum of the bodyCrc32 register header: CRC32-IEEE & 0x7FFFFFFF.
func BodyCRC32(body []byte) int32 { return int32(crc32.ChecksumIEEE(body) & 0x7FFFFFFF) }

// DecodeRegisterBrokerBody decodes a REGISTER_BROKER body, plain JSON or (compressed) the
// deflated binary form.
func DecodeRegisterBrokerBody(data []byte, compressed bool) (RegisterBrokerBody, error) {
	var b RegisterBrokerBody
	if !compressed {
		if len(data) == 0 {
			return b, nil
		}
		err := DecodeBody(data, &b)
		return b, err
	}
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return b, fmt.Errorf("%w: %v", ErrRegisterBody, err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, MaxInflatedRegisterBody+1))
	if err != nil {
		return b, fmt.Errorf("%w: inflate: %v", ErrRegisterBody, err)
	}
	if len(raw) > MaxInflatedRegisterBody {
		return b, fmt.Errorf("%w: inflated body over %d bytes", ErrRegisterBody, MaxInflatedRegisterBody)
	}
	r := &lenReader{buf: raw}
	dv, err := r.chunk()
	if err != nil {
		return b, err
	}
	if err := DecodeBody(dv, &b.TopicConfigSerializeWrapper.DataVersion); err != nil {
		return b, fmt.Errorf("%w: data version: %v", ErrRegisterBody, err)
	}
	n, err := r.int()
	if err != nil {
		return b, err
	}
	if n < 0 || n > len(r.buf)/4 {
		return b, fmt.Errorf("%w: topic count %d", ErrRegisterBody, n)
	}
	table := make(map[string]TopicConfig, n)
	for range n {
		c, err := r.chunk()
		if err != nil {
			return b, err
		}
		tc, err := decodeTopicConfigLine(string(c))
		if err != nil {
			return b, err
		}
		table[tc.TopicName] = tc
	}
	b.TopicConfigSerializeWrapper.TopicConfigTable = table
	fs, err := r.chunk()
	if err != nil {
		return b, err
	}
	if len(fs) > 0 && string(fs) != "null" {
		if err := json.Unmarshal(fs, &b.FilterServerList); err != nil {
			return b, fmt.Errorf("%w: filter server list: %v", ErrRegisterBody, err)
		}
	}
	// Brokers >= 5.0 append the static-topic mappings; older ones stop here.
	if len(r.buf) >= 4 {
		m, err := r.int()
		if err != nil {
			return b, err
		}
		if m < 0 || m > len(r.buf)/4 {
			return b, fmt.Errorf("%w: mapping count %d", ErrRegisterBody, m)
		}
		if m > 0 {
			infos := make(map[string]json.RawMessage, m)
			for i := range m {
				c, err := r.chunk()
				if err != nil {
					return b, err
				}
				var head struct {
					Topic string `json:"topic"`
				}
				_ = DecodeBody(c, &head)
				if head.Topic == "" {
					head.Topic = strconv.Itoa(i)
				}
				infos[head.Topic] = json.RawMessage(c)
			}
			mb, _ := json.Marshal(infos)
			b.TopicConfigSerializeWrapper.TopicQueueMappingInfoMap = mb
		}
	}
	return b, nil
}

// EncodeRegisterBrokerBody encodes b as plain JSON, or (compressed) in the deflated binary
// form of RegisterBrokerBody.encode(true). Topic configs in the compressed form carry only
// name, queue numbers, perm, filter type and attributes, as in Java.
func EncodeRegisterBrokerBody(b RegisterBrokerBody, compressed bool) ([]byte, error) {
	if !compressed {
		return EncodeBody(b)
	}
	var raw bytes.Buffer
	put := func(p []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		raw.Write(n[:])
		raw.Write(p)
	}
	putInt := func(v int) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(v))
		raw.Write(n[:])
	}
	dv, err := EncodeBody(b.TopicConfigSerializeWrapper.DataVersion)
	if err != nil {
		return nil, err
	}
	put(dv)
	names := sortedKeys(b.TopicConfigSerializeWrapper.TopicConfigTable)
	putInt(len(names))
	for _, name := range names {
		line, err := encodeTopicConfigLine(b.TopicConfigSerializeWrapper.TopicConfigTable[name])
		if err != nil {
			return nil, err
		}
		put([]byte(line))
	}
	fs := b.FilterServerList
	if fs == nil {
		fs = []string{}
	}
	fsb, err := EncodeBody(fs)
	if err != nil {
		return nil, err
	}
	put(fsb)
	var infos map[string]json.RawMessage
	if m := b.TopicConfigSerializeWrapper.TopicQueueMappingInfoMap; len(m) > 0 {
		if err := json.Unmarshal(m, &infos); err != nil {
			return nil, fmt.Errorf("protocol: topicQueueMappingInfoMap: %w", err)
		}
	}
	putInt(len(infos))
	for _, k := range sortedKeys(infos) {
		put(infos[k])
	}
	var out bytes.Buffer
	zw, err := zlib.NewWriterLevel(&out, zlib.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// encodeTopicConfigLine is TopicConfig.encode(): space separated name, read and write queue
// numbers, perm, filter type and attributes JSON.
func encodeTopicConfigLine(tc TopicConfig) (string, error) {
	attrs := tc.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	ab, err := EncodeBody(attrs)
	if err != nil {
		return "", err
	}
	ft := tc.TopicFilterType
	if ft == "" {
		ft = "SINGLE_TAG"
	}
	return tc.TopicName + " " + strconv.Itoa(int(tc.ReadQueueNums)) + " " +
		strconv.Itoa(int(tc.WriteQueueNums)) + " " + strconv.Itoa(int(tc.Perm)) + " " + ft + " " + string(ab), nil
}

func decodeTopicConfigLine(s string) (TopicConfig, error) {
	parts := strings.SplitN(s, " ", 6)
	if len(parts) < 5 {
		return TopicConfig{}, fmt.Errorf("%w: topic config %q", ErrRegisterBody, s)
	}
	tc := TopicConfig{TopicName: parts[0], TopicFilterType: parts[4], Attributes: map[string]string{}}
	for i, dst := range []*int32{&tc.ReadQueueNums, &tc.WriteQueueNums, &tc.Perm} {
		n, err := strconv.ParseInt(parts[i+1], 10, 32)
		if err != nil {
			return TopicConfig{}, fmt.Errorf("%w: topic config %q: %v", ErrRegisterBody, s, err)
		}
		*dst = int32(n)
	}
	if len(parts) == 6 && strings.TrimSpace(parts[5]) != "" {
		if err := DecodeBody([]byte(parts[5]), &tc.Attributes); err != nil {
			return TopicConfig{}, fmt.Errorf("%w: topic attributes %q: %v", ErrRegisterBody, s, err)
		}
	}
	return tc, nil
}

type lenReader struct{ buf []byte }

func (r *lenReader) int() (int, error) {
	if len(r.buf) < 4 {
		return 0, fmt.Errorf("%w: truncated", ErrRegisterBody)
	}
	n := int(int32(binary.BigEndian.Uint32(r.buf)))
	r.buf = r.buf[4:]
	return n, nil
}

func (r *lenReader) chunk() ([]byte, error) {
	n, err := r.int()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > len(r.buf) {
		return nil, fmt.Errorf("%w: length %d with %d bytes left", ErrRegisterBody, n, len(r.buf))
	}
	c := r.buf[:n]
	r.buf = r.buf[n:]
	return c, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}
