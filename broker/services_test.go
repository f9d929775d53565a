package broker

import (
	"errors"
	"slices"
	"testing"
)

// TestServicesOrder: the owner starts services in order, halts and closes them in reverse,
// and reports every close error.
func TestServicesOrder(t *testing.T) {
	var got []string
	errTimer := errors.New("timer checkpoint")
	mk := func(name string, closeErr error) service {
		return service{
			name:  name,
			start: func() { got = append(got, "start "+name) },
			halt:  func() { got = append(got, "halt "+name) },
			close: func() error { got = append(got, "close "+name); return closeErr },
		}
	}
	s := services{order: []service{mk("ha", nil), mk("schedule", nil), mk("timer", errTimer), {name: "transactions"}}}
	s.start()
	s.halt()
	err := s.close()
	want := []string{"start ha", "start schedule", "start timer",
		"halt timer", "halt schedule", "halt ha",
		"close timer", "close schedule", "close ha"}
	if !slices.Equal(got, want) {
		t.Errorf("calls\n got %q\nwant %q", got, want)
	}
	if !errors.Is(err, errTimer) {
		t.Errorf("close error %v, want %v", err, errTimer)
	}
}

// TestServicesOfABroker: New builds the four services in their order.
func TestServicesOfABroker(t *testing.T) {
	b, _ := startBroker(t, testConfig(t), nil)
	var names []string
	for _, sv := range b.svc.order {
		names = append(names, sv.name)
	}
	if want := []string{"ha", "schedule", "timer", "transactions"}; !slices.Equal(names, want) {
		t.Errorf("order %q, want %q", names, want)
	}
	if b.svc.sched == nil || b.svc.txn == nil || b.svc.timer == nil || b.svc.timerPtr.Load() != b.svc.timer {
		t.Errorf("services not built: %+v", &b.svc)
	}
}
