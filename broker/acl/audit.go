package acl

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Audit appends one JSON line per admin or config request to a file (auditLogPath):
//
//	{"time":"…","remote":"10.0.0.5:51234","accessKey":"ops0001","code":17,
//	 "request":"UPDATE_AND_CREATE_TOPIC","resource":"topic=Orders","allowed":true}
type Audit struct {
	mu sync.Mutex
	f  *os.File
}

// AuditRecord is one line of the audit log.
type AuditRecord struct {
	Time      string `json:"time"`
	Remote    string `json:"remote"`
	AccessKey string `json:"accessKey"`
	Code      int16  `json:"code"`
	Request   string `json:"request"`
	Resource  string `json:"resource,omitempty"`
	Allowed   bool   `json:"allowed"`
	Reason    string `json:"reason,omitempty"`
}

// OpenAudit opens (creating, mode 0600) the audit log at path for appending.
func OpenAudit(path string) (*Audit, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("acl: auditLogPath: %w", err)
	}
	return &Audit{f: f}, nil
}

// AuditResourceKeys are the header fields that name what an admin request acts on; the
// first present one is the record's resource.
var AuditResourceKeys = []string{"topic", "groupName", "group", "consumerGroup", "accessKey", "brokerName", "namespace", "key"}

// Record appends r (Time is set when empty). A write error is dropped: auditing never
// fails the request.
func (a *Audit) Record(r AuditRecord) {
	if a == nil {
		return
	}
	if r.Time == "" {
		r.Time = time.Now().UTC().Format(time.RFC3339Nano)
	}
	line, _ := json.Marshal(r)
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	a.f.Write(line) //nolint:errcheck // see Record
}

// Close closes the file; a nil Audit is fine.
func (a *Audit) Close() error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f.Close()
}

// ResourceOf returns "key=value" for the first AuditResourceKeys field in ext.
func ResourceOf(ext map[string]string) string {
	for _, k := range AuditResourceKeys {
		if v := ext[k]; v != "" {
			return k + "=" + v
		}
	}
	return ""
}
