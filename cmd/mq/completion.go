package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mq-project/mq/admin"
)

// Shell completion of live names: -t completes the topics the nameservers know, -g the
// groups the masters know. Each lookup has a short deadline so a slow cluster never hangs
// the shell; on any error nothing is offered.

const completionTimeout = 1500 * time.Millisecond

// completionAdmin opens an Admin from the flags parsed so far, with a short timeout.
func completionAdmin(f *adminFlags) (*admin.Admin, context.Context, context.CancelFunc, bool) {
	if f.lookup != nil {
		f.lookup()
	}
	r, err := f.resolve()
	if err != nil || len(admin.SplitAddrs(r.nameservers)) == 0 {
		return nil, nil, nil, false
	}
	a, err := admin.New(admin.Options{NameServers: admin.SplitAddrs(r.nameservers), Timeout: completionTimeout, Credentials: r.creds, TLS: r.tls})
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

func registerTopicCompletion(cmd *cobra.Command, flag string, f *adminFlags) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		return liveTopics(f, prefix), cobra.ShellCompDirectiveNoFileComp
	})
}

func registerGroupCompletion(cmd *cobra.Command, flag string, f *adminFlags) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		return liveGroups(f, prefix), cobra.ShellCompDirectiveNoFileComp
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
		af := adminFlagsOf(c)
		if af == nil {
			return
		}
		if fl := f.ShorthandLookup("t"); fl != nil {
			if _, ok := c.GetFlagCompletionFunc(fl.Name); !ok {
				registerTopicCompletion(c, fl.Name, af)
			}
		}
		if fl := f.ShorthandLookup("g"); fl != nil {
			if _, ok := c.GetFlagCompletionFunc(fl.Name); !ok {
				registerGroupCompletion(c, fl.Name, af)
			}
		}
	}
	walk(root)
}

// adminFlagsOf rebuilds the nameserver flags of c for completion: the completion function
// runs after flag parsing, so it reads -n / --namesrvAddr and --context from c itself.
func adminFlagsOf(c *cobra.Command) *adminFlags {
	f := c.Flags()
	ns := f.ShorthandLookup("n")
	if ns == nil {
		return nil
	}
	af := &adminFlags{}
	af.lookup = func() {
		af.namesrv = ns.Value.String()
		if cf := f.Lookup("context"); cf != nil {
			af.context = cf.Value.String()
		}
	}
	return af
}
