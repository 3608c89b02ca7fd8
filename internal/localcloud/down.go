package localcloud

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/localcloud/servergroup"
	"github.com/twinstack/twinstack/internal/proc"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/internal/verify"
)

// Down takes the local cloud down: it stops the local processes, destroys
// the deployments (cdktf destroy, cdk destroy), stops the emulator if `up`
// started it, and removes the state and record files (logs and timings
// stay). It stops only processes recorded by `up`, by PID and start time.
// It goes on after a failed step and reports every failure at the end.
func Down(ctx context.Context, o Options) error {
	o.defaults()
	l := Layout{Root: o.Root}
	p := newProgress(o.Out)
	rec, err := LoadRecord(l.RecordFile())
	if err != nil {
		return err
	}
	if rec == nil {
		_ = os.Remove(l.StateFile())
		fmt.Fprintf(p.out, "%s nothing to take down (no %s)\n", p.elapsed(), l.RecordFile())
		return nil
	}
	// 1. Local compute first, newest first; moto last.
	moto, errs := stopCompute(ctx, p, rec)
	// 2. The deployments, while the emulator still runs.
	errs = append(errs, destroyDeployments(ctx, p, o, l, rec)...)
	// 3. The emulator, if up started it.
	if moto != nil && rec.MotoStarted {
		if err := stopProc(ctx, p, *moto); err != nil {
			errs = append(errs, err)
		}
	} else if rec.Endpoint != "" {
		p.note("leaving the emulator at %s running (not started by local up)", rec.Endpoint)
	}
	// 4. Nothing recorded may still run, nor any server a stand-in listed.
	for _, pr := range rec.Processes {
		if pr.Role == "moto" && !rec.MotoStarted {
			continue
		}
		if proc.Alive(pr.Ref) {
			errs = append(errs, fmt.Errorf("%s (pid %d) still runs", pr.Name, pr.PID))
		}
		kids, _ := loadChildren(pr.Children)
		for _, k := range kids {
			if proc.Alive(k) {
				errs = append(errs, fmt.Errorf("%s (pid %d), started by %s, still runs", k.Name, k.PID, pr.Name))
			}
		}
	}
	if len(errs) == 0 {
		for _, pr := range rec.Processes {
			if pr.Children != "" {
				_ = os.Remove(pr.Children)
			}
		}
		_ = os.Remove(l.StateFile())
		_ = os.Remove(l.RecordFile())
		fmt.Fprintf(p.out, "%s local cloud is down: %d processes stopped, state removed (logs stay in %s)\n", p.elapsed(), len(rec.Processes), l.Logs())
		return nil
	}
	// Keep the record when something could not be stopped, so that the
	// next `down` or `up` tries again; the state file goes either way.
	_ = os.Remove(l.StateFile())
	return fmt.Errorf("local down: %w", errors.Join(errs...))
}

func regionOf(getenv func(string) string) string {
	cfg, err := config.Load(nil, Overlay(map[string]string{"TWINSTACK_ENDPOINT": ""}, getenv))
	if err != nil {
		return constructs.Defaults().Region
	}
	return cfg.System.Region
}

func stopProc(ctx context.Context, p *progress, pr Proc) error {
	if !proc.Alive(pr.Ref) {
		p.note("%s (pid %d) already gone", pr.Name, pr.PID)
		return nil
	}
	if err := proc.Stop(ctx, pr.Ref, 10*time.Second); err != nil {
		return err
	}
	p.note("stopped %s (pid %d)", pr.Name, pr.PID)
	return nil
}

// stopCompute stops every recorded process but moto, newest first, and
// returns moto's record (nil when none).
func stopCompute(ctx context.Context, p *progress, rec *Record) (*Proc, []error) {
	var errs []error
	var moto *Proc
	for i := len(rec.Processes) - 1; i >= 0; i-- {
		pr := rec.Processes[i]
		if pr.Role == "moto" {
			moto = &rec.Processes[i]
			continue
		}
		if pr.Role == RoleGroup {
			reportGroup(ctx, p, pr)
		}
		if err := stopProc(ctx, p, pr); err != nil {
			errs = append(errs, err)
		}
		// The servers end with their stand-in; any it left behind (it
		// was killed outright) are stopped here, by PID.
		kids, err := loadChildren(pr.Children)
		if err != nil {
			errs = append(errs, err)
		}
		for _, k := range kids {
			if proc.Alive(k) {
				if err := stopProc(ctx, p, Proc{Ref: k}); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return moto, errs
}

// reportGroup prints what a server group's stand-in observed of the
// emulator and did in its place, before it is stopped.
func reportGroup(ctx context.Context, p *progress, pr Proc) {
	st, err := GroupStatus(ctx, pr.URL)
	if err != nil {
		return // not answering: stopped below all the same
	}
	replaced := 0
	for _, g := range st.Gone {
		if g.State == servergroup.StateReplaced {
			replaced++
		}
	}
	p.note("%s: server group %s: %d servers in service, %d replaced while it ran", pr.Deployment, st.Group, len(st.InService()), replaced)
	for _, o := range st.Observations {
		p.note("%s: emulator observation of the group stand-in (%s, ×%d): %s", pr.Deployment, o.ID, o.Count, o.Detail)
	}
}

// destroyDeployments destroys every deployment up started, while the
// emulator still runs, and reports the workarounds it leaves in place.
func destroyDeployments(ctx context.Context, p *progress, o Options, l Layout, rec *Record) []error {
	var errs []error
	alive := rec.Endpoint != "" && IsMoto(ctx, rec.Endpoint)
	var clients *verify.Clients
	if alive {
		if cfg, err := verify.AWSConfig(ctx, regionOf(o.Getenv), rec.Endpoint, false); err == nil {
			clients = verify.NewClients(cfg, true)
		}
	}
	for _, name := range []string{state.CloudFormation, state.Terraform} {
		d := rec.Deployments[name]
		if d == nil || !(d.Deploying || d.Deployed) {
			continue
		}
		// The workarounds local up applied are not undone one by one: the
		// destroy below removes the resources they changed. Say so.
		for _, w := range d.Workarounds {
			for _, x := range w.Detail {
				p.note("%s: emulator workaround of local up (%s): %s; not restored (the deployment is destroyed next)", name, w.Step, x)
			}
		}
		if !alive {
			p.note("%s: the emulator at %s is gone, nothing to destroy", name, rec.Endpoint)
			continue
		}
		if err := destroy(ctx, p, o, l, rec, name, d, clients); err != nil {
			if rec.MotoStarted {
				// The emulator is ours and stops next: what the destroy
				// left goes with it.
				p.note("WARNING: %s: %v; the emulator started by local up is stopped next, and its resources with it", name, oneLine(err))
				continue
			}
			errs = append(errs, err)
		}
	}
	return errs
}

// destroy runs the toolchain's destroy for one deployment, after undoing
// what the emulator cannot delete around (bucket policies it over-enforces
// on object deletes, managed policies attached by the gap patches), and
// records the wall time.
func destroy(ctx context.Context, p *progress, o Options, l Layout, rec *Record, name string, d *DeploymentRecord, c *verify.Clients) error {
	cfg, err := config.Load(nil, Overlay(d.Env, o.Getenv))
	if err != nil {
		return err
	}
	sys, err := constructs.New(cfg.System)
	if err != nil {
		return err
	}
	tc := o.Toolchains[name]
	if tc == nil {
		env := deployEnviron(o.Root, o.Environ, rec.Endpoint, cfg.System.Region, d.Env)
		tc = toolchainFor(name, l, env, cfg.StackName, "", cfg.System.Region, nil)
	}
	label := fmt.Sprintf("destroy %s (%s)", name, cfg.StackName)
	return p.step(label, func() (string, error) {
		if c != nil {
			beforeDestroy(ctx, p, c, sys, name == state.CloudFormation)
		}
		t := time.Now()
		err := tc.Destroy(ctx)
		if err != nil && name == state.CloudFormation {
			err = destroyAgain(ctx, p, tc, err)
		}
		if err != nil {
			return "", err
		}
		secs := seconds(time.Since(t))
		_ = state.RecordTimings(l.TimingsFile(), name, state.Timings{DestroySeconds: secs, RecordedAt: time.Now().UTC()})
		return "", nil
	})
}
