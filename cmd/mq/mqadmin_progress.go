package main

import (
	"context"
	"errors"
	"strconv"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/protocol"
)

// runAllGroupsProgress is mqadmin consumerProgress without -g: one line per group.
func runAllGroupsProgress(ctx context.Context, opts *groupProgressOptions, streams IOStreams) error {
	if opts.topic != "" {
		return &usageError{Err: errors.New("-t needs -g")}
	}
	a, err := opts.Open()
	if err != nil {
		return err
	}
	defer a.Close()
	rows, err := a.AllGroupsProgress(ctx)
	if rows == nil && err != nil {
		return err
	}
	if rows == nil {
		rows = []admin.GroupSummary{}
	}
	if rerr := render(streams, opts.Output, rows, func() table {
		t := table{header: []string{"GROUP", "COUNT", "VERSION", "TYPE", "MODEL", "TPS", "DIFF-TOTAL"}, wide: []string{"ERROR"}}
		for _, r := range rows {
			version := "OFFLINE"
			if r.Count > 0 {
				version = protocol.VersionName(int(r.Version))
			}
			cells := []string{r.Group, strconv.Itoa(r.Count), version, consumeTypeDesc(r.ConsumeType), messageModelDesc(r.MessageModel),
				fmtFloat(r.ConsumeTps), strconv.FormatInt(r.DiffTotal, 10), r.Error}
			if r.Error != "" {
				t.addFailed(cells...)
			} else {
				t.add(cells...)
			}
		}
		return t
	}); rerr != nil {
		return rerr
	}
	return answerErr(err)
}

// consumeTypeDesc and messageModelDesc shorten as GroupConsumeInfo does (PULL/PUSH,
// BROADCAST/CLUSTER).
func consumeTypeDesc(t string) string {
	switch t {
	case "CONSUME_ACTIVELY":
		return "PULL"
	case "CONSUME_PASSIVELY":
		return "PUSH"
	}
	return ""
}

func messageModelDesc(m string) string {
	switch m {
	case "BROADCASTING":
		return "BROADCAST"
	case "CLUSTERING":
		return "CLUSTER"
	}
	return ""
}
