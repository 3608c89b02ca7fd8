package localcloud

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/moto"
	"github.com/twinstack/twinstack/internal/origin"
	"github.com/twinstack/twinstack/internal/proc"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/internal/toolenv"
	"github.com/twinstack/twinstack/internal/verify"
)

// Options configure Up and Down.
type Options struct {
	Root string
	// Instances is the server group's desired capacity per deployment
	// (default 2).
	Instances int
	// Endpoint reuses a running emulator instead of starting moto_server.
	Endpoint string
	// MotoPort is the port for moto_server (0: a free one).
	MotoPort int
	// Patch applies listed emulator gaps through the API after verify
	// (on by default locally).
	Patch bool
	// SkipVerify skips the post-deploy verification (tests with fake
	// toolchains).
	SkipVerify bool
	// Deployments to bring up (default both).
	Deployments []string
	// Environ is the base environment of every child process
	// (os.Environ()); Getenv reads the same environment.
	Environ []string
	Getenv  func(string) string
	// Out receives the step-by-step progress.
	Out io.Writer
	// Twinstack is the twinstack binary that runs serve, the balancer and
	// the origin; empty builds .twinstack/bin/twinstack from ./cmd/twinstack.
	Twinstack string
	// Bootstrap is the Lambda bootstrap for the host; empty builds it from
	// ./lambda into .twinstack/bin/bootstrap.
	Bootstrap string
	// RIE is the Lambda Runtime Interface Emulator (default
	// bin/aws-lambda-rie under the root, then PATH).
	RIE string
	// Toolchains replace the real CLIs (tests).
	Toolchains map[string]Toolchain
	// ReadyTimeout bounds the wait for each local process (default 30s).
	ReadyTimeout time.Duration
}

func (o *Options) defaults() {
	if o.Root == "" {
		o.Root = "."
	}
	if abs, err := filepath.Abs(o.Root); err == nil {
		o.Root = abs // the CLIs run in other directories too
	}
	if o.Instances == 0 {
		o.Instances = 2
	}
	if len(o.Deployments) == 0 {
		o.Deployments = []string{state.Terraform, state.CloudFormation}
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 30 * time.Second
	}
}

// run is one `local up`.
type run struct {
	o       Options
	l       Layout
	p       *progress
	rec     *Record
	st      *state.State
	region  string
	acct    string
	clients *verify.Clients
}

func (r *run) saveRecord() error {
	if err := SaveRecord(r.l.RecordFile(), r.rec); err != nil {
		return apperr.E(apperr.Internal, "local up", fmt.Errorf("record: %w", err))
	}
	return nil
}

// addProc records a started process before anything else happens.
func (r *run) addProc(p Proc) error {
	r.rec.Processes = append(r.rec.Processes, p)
	r.st.Processes = append(r.st.Processes, state.Process{Role: p.Role, Deployment: p.Deployment, PID: p.PID, Port: p.Port, URL: p.URL, Log: p.Log})
	return r.saveRecord()
}

// Up brings the local cloud up. On any failure it prints one clear message,
// takes down whatever it had started and returns the error.
func Up(ctx context.Context, o Options) (*state.State, error) {
	o.defaults()
	r := &run{o: o, l: Layout{Root: o.Root}, p: newProgress(o.Out), rec: &Record{Deployments: map[string]*DeploymentRecord{}},
		st: &state.State{Deployments: map[string]*state.Deployment{}}}
	// A previous run that crashed (or was never taken down) is cleaned
	// first: its processes are stopped by PID and its deployments
	// destroyed.
	if prev, _ := LoadRecord(r.l.RecordFile()); prev != nil {
		if err := r.p.step("clean up the previous local cloud (found "+r.l.RecordFile()+")", func() (string, error) {
			return "", Down(ctx, Options{Root: o.Root, Environ: o.Environ, Getenv: o.Getenv, Out: indent(o.Out), Toolchains: o.Toolchains})
		}); err != nil {
			return nil, err
		}
	}
	if err := r.up(ctx); err != nil {
		fmt.Fprintf(r.p.out, "%s local up failed: %v\n", r.p.elapsed(), oneLine(err))
		fmt.Fprintf(r.p.out, "%s cleaning up what was started ...\n", r.p.elapsed())
		derr := Down(context.WithoutCancel(ctx), Options{Root: o.Root, Environ: o.Environ, Getenv: o.Getenv, Out: indent(o.Out), Toolchains: o.Toolchains})
		if derr != nil {
			fmt.Fprintf(r.p.out, "%s clean-up incomplete: %v\n", r.p.elapsed(), oneLine(derr))
		}
		return nil, err
	}
	return r.st, nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func (r *run) up(ctx context.Context) error {
	const op = "local up"
	o := r.o
	if err := r.p.step("check the tools", func() (string, error) { return r.preflight() }); err != nil {
		return err
	}
	if err := r.p.step("build twinstack and the Lambda bootstrap for this machine", r.build(ctx)); err != nil {
		return err
	}
	if err := r.p.step("start the local AWS (moto_server)", func() (string, error) { return r.startMoto(ctx) }); err != nil {
		return err
	}
	awsCfg, err := verify.AWSConfig(ctx, r.region, r.rec.Endpoint, false)
	if err != nil {
		return apperr.E(apperr.Internal, op, err)
	}
	r.clients = verify.NewClients(awsCfg, true)
	id, err := r.clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return apperr.E(apperr.StorageUnavailable, op, fmt.Errorf("emulator at %s does not answer STS: %w", r.rec.Endpoint, err))
	}
	r.acct = aws.ToString(id.Account)
	if err := r.p.step("start the image origin", func() (string, error) { return r.startOrigin(ctx) }); err != nil {
		return err
	}
	for _, name := range o.Deployments {
		if err := r.deployment(ctx, name); err != nil {
			return err
		}
	}
	if err := state.Save(r.l.StateFile(), r.st, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(r.p.out, "%s local cloud is up: %s (state in %s)\n", r.p.elapsed(), strings.Join(o.Deployments, " and "), r.l.StateFile())
	return nil
}

func (r *run) preflight() (string, error) {
	const op = "local up"
	o := r.o
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	if o.Endpoint == "" {
		_, err := exec.LookPath(moto.Binary)
		need(err == nil, "moto_server is not on PATH (pip install 'moto[server]'), or pass --endpoint")
	}
	if o.Toolchains == nil {
		for _, t := range []string{"cdk", "cdktf"} {
			_, err := os.Stat(filepath.Join(o.Root, "node_modules", ".bin", t))
			need(err == nil, "node_modules/.bin/"+t+" (run `npm ci` or `make npm`)")
		}
		_, err := exec.LookPath("terraform")
		need(err == nil, "terraform is not on PATH")
		arch := "x86_64"
		if cfg, err := config.Load(nil, Overlay(DeploymentEnv(state.Terraform, "http://localhost:1", o.Instances), o.Getenv)); err == nil {
			arch, _ = constructs.Architecture(cfg.System.InstanceType)
		}
		for _, a := range []string{constructs.LambdaZipPath, constructs.ServerBinaryFile(arch)} {
			_, err := os.Stat(filepath.Join(o.Root, a))
			need(err == nil, a+" (run `make build`)")
		}
	}
	if r.o.RIE == "" {
		r.o.RIE = filepath.Join(o.Root, "bin", "aws-lambda-rie")
		if _, err := os.Stat(r.o.RIE); err != nil {
			if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
				r.o.RIE = p
			} else {
				need(false, "bin/aws-lambda-rie (run `make rie`)")
			}
		}
	}
	if r.o.Twinstack == "" || r.o.Bootstrap == "" {
		_, err := exec.LookPath("go")
		need(err == nil, "go is not on PATH (needed to build the local binaries)")
	}
	if o.MotoPort != 0 && o.Endpoint == "" && !proc.PortFree(o.MotoPort) {
		return "", apperr.Errorf(apperr.Unsupported, op, "port %d is in use: choose another --moto-port or stop what listens there", o.MotoPort)
	}
	if len(missing) > 0 {
		return "", apperr.Errorf(apperr.Unsupported, op, "missing: %s", strings.Join(missing, "; "))
	}
	cfg, err := config.Load(nil, Overlay(DeploymentEnv(state.Terraform, "http://localhost:1", o.Instances), o.Getenv))
	if err != nil {
		return "", err
	}
	r.region = cfg.System.Region
	r.st.Region = r.region
	return "", nil
}

func (r *run) build(ctx context.Context) func() (string, error) {
	return func() (string, error) {
		bin := r.l.Bin()
		// The default build settings share the build cache with go test
		// and go vet (the AWS SDK's ec2 package alone takes minutes cold).
		c := cli{root: r.o.Root, env: r.o.Environ, log: filepath.Join(r.l.Logs(), "build.log")}
		if r.o.Twinstack == "" {
			r.o.Twinstack = filepath.Join(bin, "twinstack")
			if err := c.run(ctx, "", "go", "build", "-o", r.o.Twinstack, "./cmd/twinstack"); err != nil {
				return "", err
			}
		}
		if local := filepath.Join(r.o.Root, "build", "lambda-local", "bootstrap"); r.o.Bootstrap == "" && fileExists(local) {
			r.o.Bootstrap = local // `make lambda` builds it for the host
		}
		if r.o.Bootstrap == "" {
			r.o.Bootstrap = filepath.Join(bin, "bootstrap")
			if err := c.run(ctx, "", "go", "build", "-tags", "lambda.norpc", "-o", r.o.Bootstrap, "./lambda"); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("%s, %s (%s)", rel(r.o.Root, r.o.Twinstack), rel(r.o.Root, r.o.Bootstrap), runtime.GOARCH), nil
	}
}

func rel(root, p string) string {
	if x, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(x, "..") {
		return x
	}
	return p
}

func (r *run) startMoto(ctx context.Context) (string, error) {
	const op = "local up"
	r.st.Emulator = &state.Emulator{Name: "moto"}
	if r.o.Endpoint != "" {
		if !IsMoto(ctx, r.o.Endpoint) {
			return "", apperr.Errorf(apperr.StorageUnavailable, op, "no moto_server answers at %s", r.o.Endpoint)
		}
		r.rec.Endpoint = r.o.Endpoint
		r.rec.MotoVersion = MotoVersion(ctx)
		r.st.Emulator.Endpoint, r.st.Emulator.Version = r.o.Endpoint, r.rec.MotoVersion
		return "reusing " + r.o.Endpoint, r.saveRecord()
	}
	logFile := filepath.Join(r.l.Logs(), "moto.log")
	if err := os.MkdirAll(r.l.Logs(), 0o755); err != nil {
		return "", err
	}
	s, err := moto.Start(ctx, moto.Options{Port: r.o.MotoPort, LogFile: logFile})
	if err != nil {
		return "", apperr.E(apperr.StorageUnavailable, op, fmt.Errorf("start moto_server: %w (log: %s)", err, logFile))
	}
	ref, err := proc.RefOf("moto", s.PID(), logFile)
	if err != nil {
		_ = s.Stop()
		return "", err
	}
	r.rec.Endpoint, r.rec.MotoStarted = s.Endpoint(), true
	r.rec.MotoVersion = MotoVersion(ctx)
	r.st.Emulator.Endpoint, r.st.Emulator.PID, r.st.Emulator.Started, r.st.Emulator.Version = s.Endpoint(), s.PID(), true, r.rec.MotoVersion
	if err := r.addProc(Proc{Ref: ref, Role: "moto", Port: s.Port(), URL: s.Endpoint()}); err != nil {
		return "", err
	}
	return fmt.Sprintf("moto %s at %s (pid %d)", orUnknown(r.rec.MotoVersion), s.Endpoint(), s.PID()), nil
}

// startDaemon starts one local process, records it (pr gives its role,
// deployment, port, URL) and waits until readyURL answers (or, with an
// empty readyURL, until the port accepts).
func (r *run) startDaemon(ctx context.Context, spec proc.Spec, pr Proc, readyURL string) (Proc, error) {
	spec.LogDir = r.l.Logs()
	spec.Dir = r.o.Root
	p, err := proc.Start(spec)
	if err != nil {
		return Proc{}, apperr.E(apperr.Unsupported, "local up", err)
	}
	pr.Ref = p.Ref
	if err := r.addProc(pr); err != nil {
		return pr, err
	}
	if readyURL != "" {
		err = proc.WaitHTTP(ctx, p.Ref, readyURL, r.o.ReadyTimeout)
	} else {
		err = proc.WaitTCP(ctx, p.Ref, "127.0.0.1:"+strconv.Itoa(pr.Port), r.o.ReadyTimeout)
	}
	if err != nil {
		return pr, apperr.E(apperr.ServerUnreachable, "local up", fmt.Errorf("%s did not become ready: %w", spec.Name, err))
	}
	return pr, nil
}

// originPorts is the servers' ALLOWED_ORIGIN_PORTS: 80, 443 and the
// local origin's port.
func (r *run) originPorts() string {
	ports := "80,443"
	if r.st.Origin != nil {
		if u, err := url.Parse(r.st.Origin.URL); err == nil && u.Port() != "" {
			ports += "," + u.Port()
		}
	}
	return ports
}

func (r *run) startOrigin(ctx context.Context) (string, error) {
	port, err := proc.FreePort()
	if err != nil {
		return "", err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	_, err = r.startDaemon(ctx, proc.Spec{Name: "origin", Path: r.o.Twinstack, Args: []string{"local", "origin", "--listen", "127.0.0.1:" + strconv.Itoa(port)}, Env: r.o.Environ},
		Proc{Role: "origin", Port: port, URL: base}, base+"/healthz")
	if err != nil {
		return "", err
	}
	r.st.Origin = &state.Origin{URL: base}
	r.st.Origin.Images = append(r.st.Origin.Images, base+"/"+origin.DefaultSample)
	for _, n := range origin.Names() {
		if n != origin.DefaultSample {
			r.st.Origin.Images = append(r.st.Origin.Images, base+"/"+n)
		}
	}
	return base, nil
}

// childEnv is the environment of the deploy CLIs of one deployment.
func (r *run) childEnv(depEnv map[string]string) []string {
	return deployEnviron(r.o.Root, r.o.Environ, r.rec.Endpoint, r.region, depEnv)
}

func deployEnviron(root string, base []string, endpoint, region string, depEnv map[string]string) []string {
	m := map[string]string{
		"AWS_ENDPOINT_URL":        endpoint,
		"AWS_ACCESS_KEY_ID":       "test",
		"AWS_SECRET_ACCESS_KEY":   "test",
		"AWS_REGION":              region,
		"AWS_DEFAULT_REGION":      region,
		"TWINSTACK_REQUIRE_TOOLS": "",
	}
	maps.Copy(m, toolenv.Quiet())
	if _, err := os.Stat(filepath.Join(root, ".terraformrc")); err == nil {
		m["TF_CLI_CONFIG_FILE"] = filepath.Join(root, ".terraformrc")
	}
	// Drop a session token or profile of the user's: the emulator takes
	// the dummy credentials.
	var clean []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if k == "AWS_SESSION_TOKEN" || k == "AWS_PROFILE" {
			continue
		}
		clean = append(clean, kv)
	}
	for k, v := range depEnv {
		m[k] = v
	}
	return Environ(clean, m)
}

func (r *run) deployment(ctx context.Context, name string) error {
	const op = "local up"
	depEnv := DeploymentEnv(name, r.rec.Endpoint, r.o.Instances)
	cfg, err := config.Load(nil, Overlay(depEnv, r.o.Getenv))
	if err != nil {
		return err
	}
	sys, err := constructs.New(cfg.System)
	if err != nil {
		return apperr.E(apperr.InvalidConfig, op, err)
	}
	env := r.childEnv(depEnv)
	tc := r.o.Toolchains[name]
	if tc == nil {
		tc = toolchainFor(name, r.l, env, cfg.StackName, r.acct, r.region, func(ctx context.Context) (map[string]string, error) {
			return stackOutputs(ctx, r.clients, sys, cfg.StackName)
		})
	}
	dep := &state.Deployment{Name: name, Prefix: cfg.System.Prefix, StackName: cfg.StackName,
		InstanceType: cfg.System.InstanceType, InstanceCount: cfg.System.InstanceCount,
		LambdaMemoryMB: cfg.System.LambdaMemoryMB, LambdaArch: constructs.FunctionArch}
	r.st.Deployments[name] = dep
	drec := &DeploymentRecord{Env: depEnv}
	r.rec.Deployments[name] = drec
	label := fmt.Sprintf("%s (%s)", name, cfg.StackName)

	if err := r.synthesize(ctx, tc, label, dep); err != nil {
		return err
	}
	remoteState, err := r.terraformState(ctx, name, cfg.TFState, tc, dep)
	if err != nil {
		return err
	}
	hooks := Hooks{Step: r.p.step, Note: r.p.note, S3: r.clients.S3, Sys: sys, Dir: r.l.Dir()}
	var ts *constructs.TerraformState
	if remoteState {
		ts = &cfg.TFState
	}
	if err := r.deploy(ctx, tc, hooks, name, label, ts, dep, drec); err != nil {
		return err
	}

	// Verify first, so that what the deployment created is checked
	// before any workaround below changes it.
	if !r.o.SkipVerify {
		if err := r.verify(ctx, name, dep); err != nil {
			return err
		}
	}
	if err := r.removeVerifiedPolicies(ctx, cfg.System.Prefix+"-", drec); err != nil {
		return err
	}
	outs, err := r.readOutputs(ctx, tc, sys, cfg.StackName, name, label, dep)
	if err != nil {
		return err
	}
	if dep.Bucket == "" || dep.ImagesTable == "" || dep.AlbumsTable == "" {
		return apperr.Errorf(apperr.NotFound, op, "%s: the deployment's bucket and tables could not be read back", name)
	}
	return r.startCompute(ctx, name, sys, dep, outs)
}

// synthesize runs the toolchain's synth and records its time and the
// template's size.
func (r *run) synthesize(ctx context.Context, tc Toolchain, label string, dep *state.Deployment) error {
	return r.p.step("synthesize "+label, func() (string, error) {
		t := time.Now()
		tpl, err := tc.Synth(ctx)
		if err != nil {
			return "", err
		}
		dep.Timings.SynthSeconds = seconds(time.Since(t))
		dep.TemplatePath = rel(r.o.Root, tpl)
		n, size, err := countResources(tpl)
		if err != nil {
			return "", fmt.Errorf("template %s: %w", tpl, err)
		}
		dep.ResourceCount, dep.TemplateBytes = n, size
		return fmt.Sprintf("%d resources, %d bytes", n, size), nil
	})
}

// deploy runs the toolchain's hooks and its deploy, records the deploy as
// started and then done, and the timings. remoteState, when set, is the
// Terraform state read back after the deploy.
func (r *run) deploy(ctx context.Context, tc Toolchain, hooks Hooks, name, label string, remoteState *constructs.TerraformState, dep *state.Deployment, drec *DeploymentRecord) error {
	if err := tc.Prepare(ctx, hooks); err != nil {
		return err
	}
	drec.Deploying = true
	if err := r.saveRecord(); err != nil {
		return err
	}
	// The deploy time includes the toolchain's emulator workarounds,
	// which are part of deploying on moto.
	deployStart := time.Now()
	if err := tc.BeforeDeploy(ctx, hooks); err != nil {
		return err
	}
	if err := r.p.step("deploy "+label, func() (string, error) {
		err := tc.Deploy(ctx)
		if err != nil {
			err = tc.Recover(ctx, hooks, err)
		}
		if err != nil {
			return "", err
		}
		dep.Timings.DeploySeconds = seconds(time.Since(deployStart))
		return "", nil
	}); err != nil {
		return err
	}
	if remoteState != nil {
		if err := r.checkRemoteState(ctx, *remoteState); err != nil {
			return err
		}
	}
	drec.Deployed = true
	dep.Timings.RecordedAt = time.Now().UTC()
	if err := r.saveRecord(); err != nil {
		return err
	}
	_ = state.RecordTimings(r.l.TimingsFile(), name, dep.Timings)
	return nil
}

// readOutputs reads the deployment's outputs and completes what the
// emulator left empty.
func (r *run) readOutputs(ctx context.Context, tc Toolchain, sys *constructs.System, stack, name, label string, dep *state.Deployment) (map[string]string, error) {
	var outs map[string]string
	if err := r.p.step("read the outputs of "+label, func() (string, error) {
		var err error
		outs, err = tc.Outputs(ctx)
		if err != nil {
			return "", err
		}
		if err = fillOutputs(ctx, r.clients, sys, stack, name, outs); err != nil {
			return "", err
		}
		dep.Outputs = outs
		dep.Bucket, dep.ImagesTable, dep.AlbumsTable = outs[constructs.OutputBucketName], outs[constructs.OutputImagesTableName], outs[constructs.OutputAlbumsTableName]
		dep.FunctionURL = outs[constructs.OutputFunctionURL]
		return fmt.Sprintf("bucket %s, tables %s and %s, server group %s", dep.Bucket, dep.ImagesTable, dep.AlbumsTable, outs[constructs.OutputServerGroupName]), nil
	}); err != nil {
		return nil, err
	}
	return outs, nil
}

func (r *run) verify(ctx context.Context, name string, dep *state.Deployment) error {
	var rep *verify.Report
	label := "verify " + name + " against the model"
	if r.o.Patch {
		label += " (patching listed emulator gaps through the API)"
	}
	err := r.p.step(label, func() (string, error) {
		var err error
		rep, err = Verify(ctx, VerifyOptions{Root: r.o.Root, Deployment: name, Getenv: r.o.Getenv, Endpoint: r.rec.Endpoint,
			EmulatorVersion: r.rec.MotoVersion, Patch: r.o.Patch, Progress: indent(r.p.out)})
		if err != nil {
			return "", err
		}
		return rep.Verdict(), nil
	})
	if err != nil {
		return err
	}
	drec := r.rec.Deployments[name]
	for _, x := range rep.Results {
		if x.Status == verify.Patched {
			if drec.Patched == nil {
				drec.Patched = map[string]string{}
			}
			drec.Patched[x.ID] = x.Gap
		}
		if x.Entry != nil {
			dep.Gaps = append(dep.Gaps, state.Gap{Resource: x.Resource, Type: x.Entry.Type, Property: x.Entry.Property,
				Detail: x.ID + ": " + x.Entry.Note, SeenOn: x.Entry.SeenOn, Patched: x.Status == verify.Patched})
		}
	}
	if err := r.saveRecord(); err != nil {
		return err
	}
	for _, f := range rep.GapFile {
		r.p.note("WARNING: emulator gap entry %s is %s: %s", f.ID, f.Kind, f.Detail)
	}
	if f := rep.Failed(); len(f) > 0 {
		var names []string
		for _, x := range f {
			names = append(names, x.ID+" ("+string(x.Status)+")")
		}
		return apperr.Errorf(apperr.Conflict, "local up", "%s does not conform to the model in %d check(s): %s", name, len(f), strings.Join(names, ", "))
	}
	return nil
}

// startCompute starts what runs the deployment's compute: the server
// group's stand-in (its servers and load balancer) and the Lambda.
func (r *run) startCompute(ctx context.Context, name string, sys *constructs.System, dep *state.Deployment, outs map[string]string) error {
	if group := outs[constructs.OutputServerGroupName]; group != "" {
		if err := r.groupObservations(ctx, sys, name, group, dep); err != nil {
			return err
		}
	}
	if err := r.startGroup(ctx, name, sys, dep, outs); err != nil {
		return err
	}
	return r.startLambda(ctx, name, sys, dep, outs)
}

// startLambda starts the Lambda bootstrap under a small pool of Runtime
// Interface Emulators behind a queueing proxy.
func (r *run) startLambda(ctx context.Context, name string, sys *constructs.System, dep *state.Deployment, outs map[string]string) error {
	return r.p.step("start the Lambda of "+name+" under the Runtime Interface Emulator", func() (string, error) {
		env := Environ(r.o.Environ, map[string]string{
			"SERVER_URL": dep.ServerURL, "AWS_REGION": r.region,
			"AWS_LAMBDA_FUNCTION_NAME":        outs[constructs.OutputFunctionName],
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(sys.Function.MemoryMB),
			"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(sys.Function.TimeoutSec),
		})
		// One emulator is one execution environment: it takes one
		// invocation at a time (overlapping ones crash it). A small pool
		// behind a proxy that queues per emulator stands in for Lambda's
		// concurrency.
		args := []string{"local", "lb", "--no-health-check", "--max-in-flight", "1"}
		for i := 1; i <= LambdaConcurrency; i++ {
			port, err := proc.FreePort()
			if err != nil {
				return "", err
			}
			apiPort, err := proc.FreePort()
			if err != nil {
				return "", err
			}
			spec := proc.Spec{Name: fmt.Sprintf("lambda-%s-%d", name, i), Path: r.o.RIE, Env: env,
				Args: []string{"--runtime-interface-emulator-address", "127.0.0.1:" + strconv.Itoa(port), "--runtime-api-address", "127.0.0.1:" + strconv.Itoa(apiPort), r.o.Bootstrap}}
			base := "http://127.0.0.1:" + strconv.Itoa(port)
			if _, err := r.startDaemon(ctx, spec, Proc{Role: "lambda", Deployment: name, Port: port, URL: base}, ""); err != nil {
				return "", err
			}
			args = append(args, "--target", base)
		}
		port, err := proc.FreePort()
		if err != nil {
			return "", err
		}
		base := "http://127.0.0.1:" + strconv.Itoa(port)
		args = append(args, "--listen", "127.0.0.1:"+strconv.Itoa(port))
		spec := proc.Spec{Name: "lambda-pool-" + name, Path: r.o.Twinstack, Args: args, Env: r.o.Environ}
		if _, err := r.startDaemon(ctx, spec, Proc{Role: "lambda-pool", Deployment: name, Port: port, URL: base}, base+"/lb/healthz"); err != nil {
			return "", err
		}
		dep.LambdaInvokeURL = base + "/2015-03-31/functions/function/invocations"
		return fmt.Sprintf("%s -> %d emulators with SERVER_URL=%s", base, LambdaConcurrency, dep.ServerURL), nil
	})
}

// LambdaConcurrency is how many Lambda emulators `local up` runs per
// deployment, each serving one invocation at a time.
const LambdaConcurrency = 2

// stackOutputs reads a CloudFormation stack's outputs.
func stackOutputs(ctx context.Context, c *verify.Clients, sys *constructs.System, stack string) (map[string]string, error) {
	return verify.StackOutputs(ctx, c.CloudFormation, stack)
}

// fillOutputs completes outputs the emulator left empty from the stack's
// resources (CloudFormation), the model's names and the API.
func fillOutputs(ctx context.Context, c *verify.Clients, sys *constructs.System, stack, name string, outs map[string]string) error {
	inv := map[constructs.ID]string{}
	if name == state.CloudFormation {
		rs, err := verify.StackResources(ctx, c.CloudFormation, stack)
		if err != nil {
			return err
		}
		inv = verify.InventoryFromStack(sys, rs)
	}
	set := func(k, v string) {
		if outs[k] == "" && v != "" {
			outs[k] = v
		}
	}
	set(constructs.OutputBucketName, inv[sys.Bucket.ID])
	set(constructs.OutputImagesTableName, inv[sys.ImagesTable.ID])
	set(constructs.OutputAlbumsTableName, inv[sys.AlbumsTable.ID])
	set(constructs.OutputFunctionName, inv[sys.Function.ID])
	set(constructs.OutputImagesTableName, sys.ImagesTable.Name)
	set(constructs.OutputAlbumsTableName, sys.AlbumsTable.Name)
	set(constructs.OutputFunctionName, sys.Function.Name)
	if outs[constructs.OutputBucketName] == "" {
		if id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
			outs[constructs.OutputBucketName] = strings.ReplaceAll(sys.Bucket.Name, constructs.AccountToken, aws.ToString(id.Account))
		}
	}
	set(constructs.OutputServerGroupName, inv[sys.Servers.ID])
	set(constructs.OutputServerGroupName, sys.Servers.Name)
	if outs[constructs.OutputLoadBalancerDNSName] == "" {
		if o, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{sys.LoadBalancer.Name}}); err == nil && len(o.LoadBalancers) > 0 {
			outs[constructs.OutputLoadBalancerDNSName] = aws.ToString(o.LoadBalancers[0].DNSName)
		}
	}
	if outs[constructs.OutputFunctionURL] == "" {
		if o, err := c.Lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(outs[constructs.OutputFunctionName])}); err == nil {
			outs[constructs.OutputFunctionURL] = aws.ToString(o.FunctionUrl)
		}
	}
	return nil
}

// indent prefixes every line written to w with spaces.
func indent(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return &indenter{w: w, bol: true}
}

type indenter struct {
	w   io.Writer
	bol bool
}

func (i *indenter) Write(p []byte) (int, error) {
	var b []byte
	for _, c := range p {
		if i.bol {
			b = append(b, "           "...)
		}
		b = append(b, c)
		i.bol = c == '\n'
	}
	if _, err := i.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
