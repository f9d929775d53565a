package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
	"github.com/mq-project/mq/cmd/mq/internal/cmdutil"
)

// Shell completion of live names: -t completes the topics the nameservers know, -g the
// groups the masters know. Each lookup has a short deadline so a slow cluster never hangs
// the shell; on any error nothing is offered.

const completionTimeout = 1500 * time.Millisecond

// completionAdmin opens an Admin from the flags parsed so far, with a short timeout.
func completionAdmin(f *adminFlags) (*admin.Admin, context.Context, context.CancelFunc, bool) {
	if f == nil {
		return nil, nil, nil, false
	}
	r, err := f.Resolve()
	if err != nil || len(admin.SplitAddrs(r.NameServers)) == 0 {
		return nil, nil, nil, false
	}
	a, err := admin.New(admin.Options{NameServers: admin.SplitAddrs(r.NameServers), Timeout: completionTimeout, Credentials: r.Credentials, TLS: r.TLS})
	if err != nil {
		return nil, nil, nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	return a, ctx, cancel, true
}

// liveTopics returns the topics starting with prefix.
func liveTopics(f *adminFlags, prefix string) []string {
	a, ctx, cancel, ok := completionAdmin(f)
	if !ok {
		return nil
	}
	defer cancel()
	defer a.Close()
	ts, err := a.TopicList(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, t := range ts {
		if strings.HasPrefix(t, prefix) {
			out = append(out, t)
		}
	}
	sortStrings(out)
	return out
}

// liveGroups returns the subscription groups starting with prefix.
func liveGroups(f *adminFlags, prefix string) []string {
	a, ctx, cancel, ok := completionAdmin(f)
	if !ok {
		return nil
	}
	defer cancel()
	defer a.Close()
	bs, err := a.ResolveBrokers(ctx, "", "")
	if err != nil {
		return nil
	}
	gl := a.GroupList(ctx, bs)
	seen := map[string]bool{}
	var out []string
	for _, g := range gl.Groups {
		if !seen[g.GroupName] && strings.HasPrefix(g.GroupName, prefix) {
			seen[g.GroupName] = true
			out = append(out, g.GroupName)
		}
	}
	return out
}

// registerTopicCompletion completes flag with live topic names, asking the cluster the
// command's parsed admin flags name.
func registerTopicCompletion(cmd *cobra.Command, flag string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(c *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		return liveTopics(cmdutil.FromCommand(c), prefix), cobra.ShellCompDirectiveNoFileComp
	})
}

// registerGroupCompletion completes flag with live group names.
func registerGroupCompletion(cmd *cobra.Command, flag string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(c *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		return liveGroups(cmdutil.FromCommand(c), prefix), cobra.ShellCompDirectiveNoFileComp
	})
}

// addNameCompletions registers live completion for -t/--topic and -g/--group (whatever
// their long names) on every command under root that has them and none yet.
func addNameCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		f := c.Flags()
		if f.ShorthandLookup("n") == nil {
			return
		}
		if fl := f.ShorthandLookup("t"); fl != nil {
			if _, ok := c.GetFlagCompletionFunc(fl.Name); !ok {
				registerTopicCompletion(c, fl.Name)
			}
		}
		if fl := f.ShorthandLookup("g"); fl != nil {
			if _, ok := c.GetFlagCompletionFunc(fl.Name); !ok {
				registerGroupCompletion(c, fl.Name)
			}
		}
	}
	walk(root)
}
