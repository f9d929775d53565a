package props

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Errors returned by Apply and Set, wrapped in a *LineError when a line is known.
var (
	// ErrUnknownKey is returned for a key that no `prop` tag of the config names.
	ErrUnknownKey = errors.New("props: unknown key")
	// ErrBadValue is returned for a value that does not parse as the field's type.
	ErrBadValue = errors.New("props: bad value")
)

// Load reads a properties file and applies it to dst (a pointer to a struct with `prop`
// tags). It returns every error of the file, joined, each naming the file and line.
func Load(path string, dst any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("props: %w", err)
	}
	entries, perr := Parse(path, string(b))
	aerr := Apply(path, entries, dst)
	return errors.Join(perr, aerr)
}

// Apply sets the fields of dst named by the entries' keys. Supported field kinds: string,
// bool, all ints and uints, float64. A field may also implement encoding.TextUnmarshaler.
func Apply(file string, entries []Entry, dst any) error {
	fields := fieldsOf(dst)
	var errs []error
	for _, e := range entries {
		f, ok := fields[e.Key]
		if !ok {
			errs = append(errs, &LineError{File: file, Line: e.Line, Err: fmt.Errorf("%w %s", ErrUnknownKey, Quote(e.Key))})
			continue
		}
		if err := setValue(f, e.Value); err != nil {
			errs = append(errs, &LineError{File: file, Line: e.Line, Err: fmt.Errorf("%s: %w", e.Key, err)})
		}
	}
	return errors.Join(errs...)
}

// Set sets one key of dst, as a flag such as `--set key=value` or an update request does.
func Set(dst any, key, value string) error {
	f, ok := fieldsOf(dst)[key]
	if !ok {
		return fmt.Errorf("%w %s", ErrUnknownKey, Quote(key))
	}
	if err := setValue(f, value); err != nil {
		return fmt.Errorf("props: %s: %w", key, err)
	}
	return nil
}

// valueError is a bad value; it matches ErrBadValue with errors.Is.
type valueError struct{ msg string }

func (e *valueError) Error() string        { return e.msg }
func (e *valueError) Is(target error) bool { return target == ErrBadValue }

func badValue(s, want string) error {
	return &valueError{msg: fmt.Sprintf("bad value %s: %s", Quote(s), want)}
}

// MaxValueLen is the longest value a key may have, in bytes. No key of Apache RocketMQ needs
// more; a longer value is an error rather than megabytes held in the configuration and
// echoed into every log line and listing.
const MaxValueLen = 4096

// Quote quotes s for an error message, shortened to its first 64 bytes so that a hostile
// value is not echoed whole.
func Quote(s string) string {
	const max = 64
	if len(s) <= max {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:max], len(s))
}

// Keys returns the property keys dst accepts, sorted.
func Keys(dst any) []string {
	fields := fieldsOf(dst)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// List returns the effective key=value pairs of src (a struct or a pointer to one), sorted by
// key, formatted as they would be written in a properties file.
func List(src any) []Entry {
	v := reflect.Indirect(reflect.ValueOf(src))
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	fields := fieldsOf(p.Interface())
	out := make([]Entry, 0, len(fields))
	for k, f := range fields {
		out = append(out, Entry{Key: k, Value: formatValue(f)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Format renders entries as properties text, one key=value a line.
func Format(entries []Entry) string {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.Key)
		b.WriteByte('=')
		b.WriteString(escapeValue(e.Value))
		b.WriteByte('\n')
	}
	return b.String()
}

func escapeValue(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\r", "\\r", "\t", "\\t")
	return r.Replace(s)
}

// fieldsOf maps prop keys to settable fields, descending into embedded and tagged-less
// nested structs so a config can compose smaller ones.
func fieldsOf(dst any) map[string]reflect.Value {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic("props: destination must be a pointer to a struct")
	}
	out := make(map[string]reflect.Value)
	collect(v.Elem(), out)
	return out
}

func collect(v reflect.Value, out map[string]reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() && !sf.Anonymous {
			continue
		}
		tag := sf.Tag.Get("prop")
		if tag == "-" {
			continue
		}
		fv := v.Field(i)
		if tag == "" {
			if fv.Kind() == reflect.Struct {
				collect(fv, out)
			}
			continue
		}
		out[tag] = fv
	}
}

type textUnmarshaler interface{ UnmarshalText([]byte) error }

type textMarshaler interface{ MarshalText() ([]byte, error) }

func setValue(f reflect.Value, s string) error {
	if len(s) > MaxValueLen {
		return &valueError{msg: fmt.Sprintf("value of %d bytes: want at most %d", len(s), MaxValueLen)}
	}
	if tu, ok := f.Addr().Interface().(textUnmarshaler); ok {
		if err := tu.UnmarshalText([]byte(s)); err != nil {
			return badValue(s, err.Error())
		}
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return badValue(s, "want true or false")
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, f.Type().Bits())
		if err != nil {
			return badValue(s, "want an integer")
		}
		f.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, f.Type().Bits())
		if err != nil {
			return badValue(s, "want a non-negative integer")
		}
		f.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, f.Type().Bits())
		if err != nil {
			return badValue(s, "want a number")
		}
		f.SetFloat(n)
	default:
		return badValue(s, "unsupported field type "+f.Type().String())
	}
	return nil
}

func formatValue(f reflect.Value) string {
	if tm, ok := f.Interface().(textMarshaler); ok {
		b, err := tm.MarshalText()
		if err == nil {
			return string(b)
		}
	}
	if tm, ok := f.Addr().Interface().(textMarshaler); ok {
		b, err := tm.MarshalText()
		if err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(f.Interface())
}

// FieldNames maps each key dst (a pointer to a struct) accepts to the name of its Go field.
func FieldNames(dst any) map[string]string {
	out := map[string]string{}
	var walk func(reflect.Type)
	walk = func(rt reflect.Type) {
		for i := 0; i < rt.NumField(); i++ {
			f := rt.Field(i)
			if tag := f.Tag.Get("prop"); tag != "" && tag != "-" {
				out[tag] = f.Name
			} else if tag == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(dst).Elem())
	return out
}
