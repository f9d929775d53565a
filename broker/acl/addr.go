package acl

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// matcher is a compiled address pattern (RemoteAddressStrategy).
type matcher interface {
	match(netip.Addr) bool
}

type matchNone struct{}

func (matchNone) match(netip.Addr) bool { return false }

type matchAll struct{}

func (matchAll) match(netip.Addr) bool { return true }

type matchSet map[netip.Addr]struct{}

func (m matchSet) match(a netip.Addr) bool { _, ok := m[a.Unmap()]; return ok }

// matchRange is one part (octet, or IPv6 group) in [lo, hi] after a fixed head of parts;
// every later part is "*".
type matchRange struct {
	v6     bool
	head   []uint16 // the fixed leading parts
	lo, hi uint16
}

func (m matchRange) match(a netip.Addr) bool {
	a = a.Unmap()
	var parts []uint16
	switch {
	case a.Is4() && !m.v6:
		for _, b := range a.As4() {
			parts = append(parts, uint16(b))
		}
	case a.Is6() && m.v6:
		b := a.As16()
		for i := 0; i < 16; i += 2 {
			parts = append(parts, uint16(b[i])<<8|uint16(b[i+1]))
		}
	default:
		return false
	}
	for i, h := range m.head {
		if parts[i] != h {
			return false
		}
	}
	p := parts[len(m.head)]
	return p >= m.lo && p <= m.hi
}

// compileAddr compiles an address pattern as Apache's RemoteAddressStrategyFactory reads it.
func compileAddr(pattern string) (matcher, error) {
	s := strings.TrimSpace(pattern)
	switch {
	case s == "":
		return matchNone{}, nil
	case s == "*" || s == "*.*.*.*" || s == "*:*:*:*:*:*:*:*":
		return matchAll{}, nil
	case strings.HasSuffix(s, "}"):
		return compileBraces(s)
	case strings.Contains(s, ","):
		return compileSet(strings.Split(s, ","))
	case strings.ContainsAny(s, "*-"):
		return compileRange(s)
	}
	return compileSet([]string{s})
}

func compileSet(addrs []string) (matcher, error) {
	m := matchSet{}
	for _, s := range addrs {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("bad address %q", s)
		}
		m[a.Unmap()] = struct{}{}
	}
	return m, nil
}

// compileBraces reads 192.168.1.{1,2,3} (or an IPv6 address whose last group is {…}).
func compileBraces(s string) (matcher, error) {
	open := strings.LastIndexByte(s, '{')
	if open < 0 {
		return nil, fmt.Errorf("bad address pattern %q: no {", s)
	}
	head, list := s[:open], s[open+1:len(s)-1]
	sep := "."
	if strings.Contains(s, ":") {
		sep = ":"
	}
	if !strings.HasSuffix(head, sep) || (sep == "." && strings.Count(head, ".") != 3) {
		return nil, fmt.Errorf("bad address pattern %q: {…} must be the last part", s)
	}
	var addrs []string
	for _, v := range strings.Split(list, ",") {
		addrs = append(addrs, head+strings.TrimSpace(v))
	}
	return compileSet(addrs)
}

// compileRange reads 192.168.*.*, 192.168.1.1-100 or 192.168.1-10.* (and the IPv6
// equivalents with 8 hex groups): the first part after the first that is "*" or "a-b"
// is the range, and every later part must be "*".
func compileRange(s string) (matcher, error) {
	v6 := strings.Contains(s, ":")
	sep, n, base, max := ".", 4, 10, 255
	if v6 {
		sep, n, base, max = ":", 8, 16, 0xffff
	}
	parts := strings.Split(s, sep)
	if len(parts) != n {
		return nil, fmt.Errorf("bad address pattern %q: want %d parts", s, n)
	}
	num := func(p string) (uint16, error) {
		v, err := strconv.ParseUint(strings.TrimSpace(p), base, 32)
		if err != nil || v > uint64(max) {
			return 0, fmt.Errorf("bad address pattern %q: part %q", s, p)
		}
		return uint16(v), nil
	}
	m := matchRange{v6: v6}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		lo, hi, isRange := strings.Cut(p, "-")
		if p != "*" && !isRange {
			v, err := num(p)
			if err != nil {
				return nil, err
			}
			m.head = append(m.head, v)
			continue
		}
		if i == 0 {
			return nil, fmt.Errorf("bad address pattern %q: the first part must be fixed", s)
		}
		if p == "*" {
			m.lo, m.hi = 0, uint16(max)
		} else {
			l, err := num(lo)
			if err != nil {
				return nil, err
			}
			h, err := num(hi)
			if err != nil {
				return nil, err
			}
			if l > h {
				return nil, fmt.Errorf("bad address pattern %q: range %s", s, p)
			}
			m.lo, m.hi = l, h
		}
		for _, rest := range parts[i+1:] {
			if strings.TrimSpace(rest) != "*" {
				return nil, fmt.Errorf("bad address pattern %q: parts after a range must be *", s)
			}
		}
		return m, nil
	}
	return nil, fmt.Errorf("bad address pattern %q", s)
}
