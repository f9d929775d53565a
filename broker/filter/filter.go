package filter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mq-project/mq/message"
)

// Expression types, as SubscriptionData.expressionType spells them.
const (
	TypeTag   = "TAG"
	TypeSQL92 = "SQL92"
)

// ErrUnknownType is returned by Compile for an expression type other than "", TAG or SQL92.
var ErrUnknownType = errors.New("filter: unknown expression type")

// Filter decides whether a consumer's subscription wants a message.
//
// MatchTagsCode is the cheap pre-check on the 8-byte tags code stored in the ConsumeQueue
// (the Java String.hashCode of the TAGS property, message.TagsHash); it may accept messages
// that Match later refuses (hash collisions, SQL92 filters) but never refuses one Match would
// accept. Match is the exact check on the decoded message: tags is the message's TAGS value
// ("" when it has none) and props its properties (user and system; may be nil).
//
// A Filter is immutable and safe for concurrent use; neither method allocates.
type Filter interface {
	MatchTagsCode(code int64) bool
	Match(tags string, props map[string]string) bool
}

// Compile builds the Filter of a subscription from its expressionType and subString.
//
// TAG (or an empty type): "" or "*" match every message; otherwise the expression is split on
// "||", each part trimmed, empty parts dropped, and a message matches when its TAGS value
// equals one of the parts. The tag hash codes are computed here from the tags (Java
// String.hashCode over UTF-16); a client's codeSet is not trusted (GoC hashes UTF-8 bytes).
//
// SQL92: the expression is parsed (see the package documentation); a bad expression is
// returned as a *ParseError.
func Compile(expressionType, expression string) (Filter, error) {
	switch expressionType {
	case "", TypeTag:
		return compileTags(expression), nil
	case TypeSQL92:
		return compileSQL(expression)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownType, expressionType)
	}
}

// smallSet is the size up to which sets are kept as slices and scanned: for the handful of
// tags a subscription names that is faster than a map lookup.
const smallSet = 8

// tagFilter is the TAG filter: a set of tags and of their Java hash codes.
type tagFilter struct {
	all      bool
	tags     []string
	codes    []int32
	tagSet   map[string]struct{} // used instead of tags when len(tags) > smallSet
	codeSet  map[int32]struct{}  // used instead of codes when len(codes) > smallSet
	original string
}

// SubAll is the subscription expression that matches everything.
const SubAll = "*"

func compileTags(expr string) *tagFilter {
	f := &tagFilter{original: expr}
	if expr == "" || expr == SubAll {
		f.all = true
		return f
	}
	for part := range strings.SplitSeq(expr, "||") {
		tag := javaTrim(part)
		if tag == "" || containsString(f.tags, tag) {
			continue
		}
		f.tags = append(f.tags, tag)
		code := message.JavaHashString(tag)
		if !containsCode(f.codes, code) {
			f.codes = append(f.codes, code)
		}
	}
	if len(f.tags) > smallSet {
		f.tagSet = make(map[string]struct{}, len(f.tags))
		for _, t := range f.tags {
			f.tagSet[t] = struct{}{}
		}
	}
	if len(f.codes) > smallSet {
		f.codeSet = make(map[int32]struct{}, len(f.codes))
		for _, c := range f.codes {
			f.codeSet[c] = struct{}{}
		}
	}
	return f
}

// MatchTagsCode reports whether the ConsumeQueue tags code is one of the subscribed tags'
// hash codes. Like the Java broker it compares the low 32 bits (tagsCode.intValue()).
func (f *tagFilter) MatchTagsCode(code int64) bool {
	if f.all {
		return true
	}
	c := int32(code)
	if f.codeSet != nil {
		_, ok := f.codeSet[c]
		return ok
	}
	return containsCode(f.codes, c)
}

// Match reports whether the message's TAGS value is one of the subscribed tags.
func (f *tagFilter) Match(tags string, _ map[string]string) bool {
	if f.all {
		return true
	}
	if f.tagSet != nil {
		_, ok := f.tagSet[tags]
		return ok
	}
	return containsString(f.tags, tags)
}

// TagMatcher is implemented by TAG filters: Match on the TAGS value as stored bytes, so a
// pull checks each record without converting its tags to a string.
type TagMatcher interface {
	MatchTagBytes(tags []byte) bool
}

var _ TagMatcher = (*tagFilter)(nil)

// MatchTagBytes is Match for the TAGS value as bytes.
func (f *tagFilter) MatchTagBytes(tags []byte) bool {
	if f.all {
		return true
	}
	if f.tagSet != nil {
		_, ok := f.tagSet[string(tags)] // no allocation: the conversion is only looked up
		return ok
	}
	for _, t := range f.tags {
		if t == string(tags) {
			return true
		}
	}
	return false
}

func (f *tagFilter) String() string { return f.original }

// TagsOf returns the trimmed tags of a TAG expression and their Java String.hashCode codes, as
// RocketMQ's FilterAPI.buildSubscriptionData fills tagsSet and codeSet (nil, nil for "*").
func TagsOf(expression string) (tags []string, codes []int32) {
	f := compileTags(expression)
	return f.tags, f.codes
}

// javaTrim is Java's String.trim: it removes characters <= ' ' from both ends.
func javaTrim(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	return s[i:j]
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsCode(list []int32, c int32) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}
