package bench

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mq-project/mq/broker"
	"github.com/mq-project/mq/internal/mqtest"
)

// TestBenchKeysFile checks --keys-file: a produce run logs one distinct UNIQ_KEY per
// acknowledged send, and a consume run of the topic logs exactly the same keys, whatever the
// pulls in flight: one at a time, pipelined, and pipelined against a broker that caps each
// answer below the batch (every answer stops short and leaves a gap to ask for again).
func TestBenchKeysFile(t *testing.T) {
	for _, c := range []struct {
		name             string
		pulls, answerCap int
	}{{"one pull", 1, 0}, {"pipelined", 8, 0}, {"capped answers", 8, 5}} {
		t.Run(c.name, func(t *testing.T) {
			ns := mqtest.StartNamesrv(t)
			b := mqtest.StartBroker(t, ns.Addr, func(cfg *broker.Config) {
				if c.answerCap > 0 {
					cfg.MaxTransferCountOnMessageInMemory = c.answerCap
				}
			})
			benchTopic(t, ns.Addr, b.Addr, "KeysT")
			dir := t.TempDir()
			sent, got := filepath.Join(dir, "sent"), filepath.Join(dir, "got")
			ctx := context.Background()
			res, err := Run(ctx, Options{Mode: ModeProduce, NameServers: []string{ns.Addr}, Topic: "KeysT", Group: "kp",
				Producers: 2, Inflight: 16, Size: 64, Count: 700, Duration: time.Minute, KeysFile: sent})
			if err != nil || res.Messages != 700 {
				t.Fatalf("produce: %+v %v", res, err)
			}
			res, err = Run(ctx, Options{Mode: ModeConsume, NameServers: []string{ns.Addr}, Topic: "KeysT", Group: "kc",
				Batch: 32, Pulls: c.pulls, Duration: time.Minute, KeysFile: got})
			if err != nil || res.Messages != 700 {
				t.Fatalf("consume: %+v %v", res, err)
			}
			read := func(p string) []string {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				ks := strings.Fields(string(b))
				slices.Sort(ks)
				return ks
			}
			s, g := read(sent), read(got)
			if len(s) != 700 || len(slices.Compact(slices.Clone(s))) != 700 {
				t.Fatalf("produce logged %d keys, %d distinct; want 700", len(s), len(slices.Compact(slices.Clone(s))))
			}
			if !slices.Equal(s, g) {
				t.Fatalf("consumed keys differ from acknowledged ones (%d vs %d)", len(g), len(s))
			}
		})
	}
}
