package main

import (
	"errors"
	"log/slog"
	"testing"
)

// TestBrokerRecoverFlag: --recover sets recoverMode over the file; anything but salvage or
// strict is a usage error.
func TestBrokerRecoverFlag(t *testing.T) {
	t.Setenv("NAMESRV_ADDR", "")
	for _, tt := range []struct {
		flag, want string
		usage      bool
	}{{"", "salvage", false}, {"strict", "strict", false}, {"salvage", "salvage", false}, {"truncate", "", true}} {
		t.Run("recover="+tt.flag, func(t *testing.T) {
			opts := &brokerOptions{recoverMode: tt.flag}
			cfg, err := loadBrokerConfig(opts, slog.New(slog.DiscardHandler))
			var ue *usageError
			if tt.usage {
				if !errors.As(err, &ue) {
					t.Fatalf("err %v, want a usage error", err)
				}
				return
			}
			if cfg.RecoverMode != tt.want {
				t.Fatalf("recoverMode %q, want %q (err %v)", cfg.RecoverMode, tt.want, err)
			}
		})
	}
}
