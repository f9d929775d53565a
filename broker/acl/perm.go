package acl

import "strings"

// Perm is a permission bit set (Apache's Permission: DENY 1, ANY 2, PUB 4, SUB 8).
type Perm byte

// Permissions.
const (
	Deny Perm = 1
	Any  Perm = 2
	Pub  Perm = 4
	Sub  Perm = 8
)

// ParsePerm reads "PUB", "SUB", "PUB|SUB", "SUB|PUB" or "DENY" (surrounding spaces
// ignored). Anything else is Deny with ok false.
func ParsePerm(s string) (p Perm, ok bool) {
	switch strings.TrimSpace(s) {
	case "PUB":
		return Pub, true
	case "SUB":
		return Sub, true
	case "PUB|SUB", "SUB|PUB":
		return Pub | Sub, true
	case "DENY":
		return Deny, true
	}
	return Deny, false
}

// String is the spelling the accounts file uses.
func (p Perm) String() string {
	switch {
	case p&Deny != 0:
		return "DENY"
	case p&(Pub|Sub) == Pub|Sub:
		return "PUB|SUB"
	case p&Pub != 0:
		return "PUB"
	case p&Sub != 0:
		return "SUB"
	case p&Any != 0:
		return "ANY"
	}
	return "DENY"
}

// allows is Permission.checkPermission: a DENY owner allows nothing; ANY is met by PUB or
// SUB; otherwise the needed bit must be owned.
func allows(need, owned Perm) bool {
	if owned&Deny != 0 {
		return false
	}
	if need&Any != 0 {
		return owned&(Pub|Sub) != 0
	}
	return need&owned != 0
}

// RetryGroupPrefix marks a group resource (MixAll.RETRY_GROUP_TOPIC_PREFIX).
const RetryGroupPrefix = "%RETRY%"

// Resource is a topic or a group (named %RETRY%<group>) and the permission a request needs.
type Resource struct {
	Name string
	Perm Perm
}

// Topic is the resource for a topic; a retry topic is its group's resource, as Apache
// checks it.
func Topic(name string, p Perm) Resource { return Resource{Name: name, Perm: p} }

// Group is the resource for a consumer or producer group.
func Group(name string, p Perm) Resource { return Resource{Name: RetryGroupPrefix + name, Perm: p} }

// IsGroup reports whether r names a group.
func (r Resource) IsGroup() bool { return strings.HasPrefix(r.Name, RetryGroupPrefix) }

// String is "topic T PUB" or "group G SUB", as refusals name the missing right.
func (r Resource) String() string {
	if r.IsGroup() {
		return "group " + strings.TrimPrefix(r.Name, RetryGroupPrefix) + " " + r.Perm.String()
	}
	return "topic " + r.Name + " " + r.Perm.String()
}
