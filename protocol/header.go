package protocol

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Errors returned by header decoding.
var (
	// ErrMissingField is matched (errors.Is) by every *MissingFieldError.
	ErrMissingField = errors.New("protocol: missing required header field")
	// ErrBadField is matched (errors.Is) by every *FieldError: a value that does not parse.
	ErrBadField = errors.New("protocol: bad header field")
)

// Header is a request or response header that converts itself to and from extFields. The hot
// headers implement it by hand; EncodeHeader and DecodeHeader use it when present.
type Header interface {
	// Encode writes the header's fields into ext; every value is a string.
	Encode(ext map[string]string)
	// Decode reads the header's fields from ext. Missing numbers stay 0 (or their default),
	// unknown keys are ignored, an unparsable number is a *FieldError and a missing required
	// field a *MissingFieldError.
	Decode(ext map[string]string) error
}

// MissingFieldError reports a required extFields key that is absent or empty.
type MissingFieldError struct {
	Field string // extFields key, e.g. "topic"
}

func (e *MissingFieldError) Error() string {
	return "protocol: missing required header field " + e.Field
}

// Is makes errors.Is(err, ErrMissingField) true.
func (e *MissingFieldError) Is(target error) bool { return target == ErrMissingField }

// FieldError reports an extFields value that does not parse as the field's type.
type FieldError struct {
	Field string // extFields key
	Value string // the text received
	Err   error  // the strconv error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("protocol: header field %s: bad value %q: %v", e.Field, e.Value, e.Err)
}

// Unwrap returns the parse error.
func (e *FieldError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrBadField) true.
func (e *FieldError) Is(target error) bool { return target == ErrBadField }

// EncodeHeader returns the extFields of h, a pointer to (or value of) a struct whose fields carry
// `ext:"key[,required][,omitempty][,default=N]"` tags, or a Header. Strings are written as they
// are, integers in decimal, booleans as "true"/"false"; nil pointers and omitempty zero values are
// left out. A nil h gives an empty map.
func EncodeHeader(h any) map[string]string {
	ext := make(map[string]string, 8)
	if h == nil {
		return ext
	}
	if hh, ok := h.(Header); ok {
		hh.Encode(ext)
		return ext
	}
	encodeReflect(h, ext)
	return ext
}

// DecodeHeader fills h, a pointer to a tagged struct or a Header, from ext. Decoding is
// lenient: missing numbers are 0 (or the tag's default), unknown keys are ignored, an empty
// value counts as missing. Errors: *MissingFieldError for an absent required field,
// *FieldError for an unparsable number.
func DecodeHeader(ext map[string]string, h any) error {
	if hh, ok := h.(Header); ok {
		return hh.Decode(ext)
	}
	return decodeReflect(ext, h)
}

type fieldKind uint8

const (
	kindString fieldKind = iota
	kindInt
	kindUint
	kindBool
)

type headerField struct {
	key       string
	index     int
	kind      fieldKind
	bits      int
	ptr       bool
	required  bool
	omitEmpty bool
	def       int64
	hasDef    bool
}

// headerTypes caches the parsed tags per struct type, like encoding/json's field cache.
var headerTypes sync.Map // reflect.Type -> []headerField

func fieldsOf(t reflect.Type) []headerField {
	if f, ok := headerTypes.Load(t); ok {
		return f.([]headerField)
	}
	var fields []headerField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("ext")
		if !ok || tag == "-" || !sf.IsExported() {
			continue
		}
		parts := strings.Split(tag, ",")
		f := headerField{key: parts[0], index: i}
		for _, p := range parts[1:] {
			switch {
			case p == "required":
				f.required = true
			case p == "omitempty":
				f.omitEmpty = true
			case strings.HasPrefix(p, "default="):
				n, err := strconv.ParseInt(strings.TrimPrefix(p, "default="), 10, 64)
				if err != nil {
					panic("protocol: bad default in ext tag of " + t.String() + "." + sf.Name)
				}
				f.def, f.hasDef = n, true
			}
		}
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			f.ptr = true
			ft = ft.Elem()
		}
		switch ft.Kind() {
		case reflect.String:
			f.kind = kindString
		case reflect.Bool:
			f.kind = kindBool
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f.kind, f.bits = kindInt, ft.Bits()
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.kind, f.bits = kindUint, ft.Bits()
		default:
			panic("protocol: unsupported ext field type " + ft.String() + " in " + t.String())
		}
		fields = append(fields, f)
	}
	v, _ := headerTypes.LoadOrStore(t, fields)
	return v.([]headerField)
}

func structValue(h any) (reflect.Value, bool) {
	v := reflect.ValueOf(h)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}, false
		}
		v = v.Elem()
	}
	return v, v.Kind() == reflect.Struct
}

func encodeReflect(h any, ext map[string]string) {
	v, ok := structValue(h)
	if !ok {
		return
	}
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		if f.ptr {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		} else if f.omitEmpty && fv.IsZero() {
			continue
		}
		switch f.kind {
		case kindString:
			ext[f.key] = fv.String()
		case kindBool:
			ext[f.key] = strconv.FormatBool(fv.Bool())
		case kindInt:
			ext[f.key] = strconv.FormatInt(fv.Int(), 10)
		case kindUint:
			ext[f.key] = strconv.FormatUint(fv.Uint(), 10)
		}
	}
}

func decodeReflect(ext map[string]string, h any) error {
	rv := reflect.ValueOf(h)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("protocol: DecodeHeader needs a non-nil struct pointer, got %T", h)
	}
	v := rv.Elem()
	for _, f := range fieldsOf(v.Type()) {
		s, present := ext[f.key]
		if present && s == "" && f.kind != kindString {
			present = false
		}
		if !present || (f.kind == kindString && s == "" && f.required) {
			if f.required {
				return &MissingFieldError{Field: f.key}
			}
			if f.hasDef && !f.ptr {
				setNumber(v.Field(f.index), f, f.def)
			}
			continue
		}
		fv := v.Field(f.index)
		if f.ptr {
			p := reflect.New(fv.Type().Elem())
			fv.Set(p)
			fv = p.Elem()
		}
		switch f.kind {
		case kindString:
			fv.SetString(s)
		case kindBool:
			fv.SetBool(parseBool(s))
		case kindInt:
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, f.bits)
			if err != nil {
				return &FieldError{Field: f.key, Value: s, Err: err}
			}
			fv.SetInt(n)
		case kindUint:
			n, err := strconv.ParseUint(strings.TrimSpace(s), 10, f.bits)
			if err != nil {
				return &FieldError{Field: f.key, Value: s, Err: err}
			}
			fv.SetUint(n)
		}
	}
	return nil
}

func setNumber(fv reflect.Value, f headerField, n int64) {
	switch f.kind {
	case kindInt:
		fv.SetInt(n)
	case kindUint:
		fv.SetUint(uint64(n))
	case kindBool:
		fv.SetBool(n != 0)
	}
}

// parseBool follows Java's Boolean.parseBoolean: only "true" (any case) is true.
func parseBool(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "true") }

// The helpers below serve the hand-written hot headers.

func getInt64(ext map[string]string, key string, dst *int64) error {
	return parseInt64(key, ext[key], dst)
}

// parseInt64 parses the value s of key into dst; "" (absent) leaves dst alone.
func parseInt64(key, s string, dst *int64) error {
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if n, err2 := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err2 == nil {
			*dst = n
			return nil
		}
		return &FieldError{Field: key, Value: s, Err: err}
	}
	*dst = n
	return nil
}

func getInt32(ext map[string]string, key string, dst *int32) error {
	return parseInt32(key, ext[key], dst)
}

// parseInt32 parses the value s of key into dst; "" (absent) leaves dst alone.
func parseInt32(key, s string, dst *int32) error {
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return &FieldError{Field: key, Value: s, Err: err}
	}
	*dst = int32(n)
	return nil
}

func i32(n int32) string { return strconv.FormatInt(int64(n), 10) }
func i64(n int64) string { return strconv.FormatInt(n, 10) }
