package remoting

import "testing"

// TestPoolQueued: Queued counts the requests waiting for a worker.
func TestPoolQueued(t *testing.T) {
	p := NewPool("t", 1, 4) // no owner yet: nothing takes tasks off the queue
	for i := range 3 {
		if !p.trySubmit(task{}) {
			t.Fatalf("submit %d refused", i)
		}
	}
	if got := p.Queued(); got != 3 {
		t.Fatalf("Queued = %d, want 3", got)
	}
}
