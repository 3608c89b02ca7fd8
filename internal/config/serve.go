package config

import (
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
)

// Serve is the configuration of `twinstack serve`. Every field is a flag
// whose environment variable has no prefix (PORT, IMAGES_BUCKET, …): the
// names are those the stacks' systemd unit sets.
type Serve struct {
	Host            string        // HOST: interface to listen on ("" = all)
	Port            int           // PORT
	ImagesBucket    string        // IMAGES_BUCKET
	ImagesTable     string        // IMAGES_TABLE
	AlbumsTable     string        // ALBUMS_TABLE
	Region          string        // AWS_REGION
	Endpoint        string        // AWS_ENDPOINT_URL: a local AWS endpoint; S3 then uses path-style
	MaxImageBytes   int64         // MAX_IMAGE_BYTES (bytes, or with KiB/MiB/GiB)
	DownloadTimeout time.Duration // DOWNLOAD_TIMEOUT
	AllowPrivate    bool          // ALLOW_PRIVATE_ORIGINS
	// InstanceID names this server in responses (INSTANCE_ID). Empty: ask
	// the instance metadata service per IMDS, else the host name.
	InstanceID string
	// IMDS is auto (ask IMDSv2 when no AWS_ENDPOINT_URL is set), on or off.
	IMDS            string
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT: bound on draining in-flight requests
	LogLevel        string        // LOG_LEVEL: debug, info, warn, error

	// AllowedOriginPorts are the destination ports image downloads may
	// dial (ALLOWED_ORIGIN_PORTS, "80,443").
	AllowedOriginPorts []int
	// MaxConcurrentIngests is the number of ingest slots; a request finding
	// none free gets 429 (MAX_CONCURRENT_INGESTS).
	MaxConcurrentIngests int
	// MinDownloadRate is the slowest origin transfer accepted, in bytes
	// per second (MIN_DOWNLOAD_RATE, "16KiB/s"; 0 turns the check off).
	MinDownloadRate int64
}

// Serve defaults.
const (
	DefaultMaxImageBytes   = 20 << 20
	DefaultDownloadTimeout = 10 * time.Second
	// DefaultShutdownTimeout stays under the unit's TimeoutStopSec (30 s).
	DefaultShutdownTimeout = 25 * time.Second
	MaxMaxImageBytes       = 5 << 30
	DefaultMaxIngests      = 8
	DefaultMinDownloadRate = 16 << 10
)

// DefaultAllowedOriginPorts are the ports downloads may dial by default.
func DefaultAllowedOriginPorts() []int { return []int{80, 443} }

// IMDS modes.
const (
	IMDSAuto = "auto"
	IMDSOn   = "on"
	IMDSOff  = "off"
)

// ServeFlags registers the serve settings on fs, with defaults, writing to
// s.
func ServeFlags(fs *flag.FlagSet, s *Serve) {
	*s = Serve{
		Port:            constructs.ServerPort,
		MaxImageBytes:   DefaultMaxImageBytes,
		DownloadTimeout: DefaultDownloadTimeout,
		IMDS:            IMDSAuto,
		ShutdownTimeout: DefaultShutdownTimeout,
		LogLevel:        "info",

		AllowedOriginPorts:   DefaultAllowedOriginPorts(),
		MaxConcurrentIngests: DefaultMaxIngests,
		MinDownloadRate:      DefaultMinDownloadRate,
	}
	fs.StringVar(&s.Host, "host", s.Host, "interface to listen on (empty: all)")
	fs.IntVar(&s.Port, "port", s.Port, "TCP port to listen on")
	fs.StringVar(&s.ImagesBucket, "images-bucket", "", "S3 bucket for image objects (required)")
	fs.StringVar(&s.ImagesTable, "images-table", "", "DynamoDB table for image items (required)")
	fs.StringVar(&s.AlbumsTable, "albums-table", "", "DynamoDB table for albums (required)")
	fs.StringVar(&s.Region, "aws-region", "", "AWS region (required)")
	fs.StringVar(&s.Endpoint, "aws-endpoint-url", "", "local AWS endpoint URL (S3 then uses path-style); empty for AWS")
	fs.Var((*byteSize)(&s.MaxImageBytes), "max-image-bytes", "largest image accepted, in bytes or with a KiB/MiB/GiB suffix")
	fs.DurationVar(&s.DownloadTimeout, "download-timeout", s.DownloadTimeout, "bound on downloading one image from its origin")
	fs.BoolVar(&s.AllowPrivate, "allow-private-origins", false, "allow origins on loopback and private addresses (local cloud only)")
	fs.StringVar(&s.InstanceID, "instance-id", "", "instance id reported in responses (default: IMDSv2 on EC2, else the host name)")
	fs.StringVar(&s.IMDS, "imds", s.IMDS, "ask the EC2 instance metadata service for the instance id: auto (when no endpoint is set), on, off")
	fs.DurationVar(&s.ShutdownTimeout, "shutdown-timeout", s.ShutdownTimeout, "bound on draining in-flight requests at SIGTERM")
	fs.StringVar(&s.LogLevel, "log-level", s.LogLevel, "debug, info, warn or error")
	fs.Var((*portList)(&s.AllowedOriginPorts), "allowed-origin-ports", "comma-separated destination ports image downloads may dial")
	fs.IntVar(&s.MaxConcurrentIngests, "max-concurrent-ingests", s.MaxConcurrentIngests, "ingests running at once; further requests get 429")
	fs.Var((*byteRate)(&s.MinDownloadRate), "min-download-rate", "slowest origin transfer accepted, like 16KiB/s (0: no limit)")
}

// LoadServe resolves the serve settings from args and the environment and
// validates them. Errors are *apperr.Error with code InvalidConfig and name
// the environment variable of the setting.
func LoadServe(fs *flag.FlagSet, args []string, getenv func(string) string) (Serve, error) {
	const op = "config.LoadServe"
	var s Serve
	ServeFlags(fs, &s)
	if err := Parse(fs, args, "", getenv); err != nil {
		return Serve{}, apperr.E(apperr.InvalidConfig, op, err)
	}
	if err := s.Validate(); err != nil {
		return Serve{}, apperr.E(apperr.InvalidConfig, op, err)
	}
	return s, nil
}

var (
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	tableRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
)

// Validate reports the first invalid setting as a *constructs.FieldError
// whose Field is the environment variable.
func (s Serve) Validate() error {
	bad := func(name string, v any, reason string) error {
		return &constructs.FieldError{Field: name, Value: fmt.Sprintf("%q", fmt.Sprint(v)), Reason: reason}
	}
	switch {
	case s.Port < 1 || s.Port > 65535:
		return bad("PORT", s.Port, "want a TCP port 1-65535")
	case s.ImagesBucket == "":
		return bad("IMAGES_BUCKET", s.ImagesBucket, "required")
	case !bucketRE.MatchString(s.ImagesBucket) || strings.Contains(s.ImagesBucket, ".."):
		return bad("IMAGES_BUCKET", s.ImagesBucket, "not a valid S3 bucket name")
	case s.ImagesTable == "":
		return bad("IMAGES_TABLE", s.ImagesTable, "required")
	case !tableRE.MatchString(s.ImagesTable):
		return bad("IMAGES_TABLE", s.ImagesTable, "not a valid DynamoDB table name")
	case s.AlbumsTable == "":
		return bad("ALBUMS_TABLE", s.AlbumsTable, "required")
	case !tableRE.MatchString(s.AlbumsTable):
		return bad("ALBUMS_TABLE", s.AlbumsTable, "not a valid DynamoDB table name")
	case s.AlbumsTable == s.ImagesTable:
		return bad("ALBUMS_TABLE", s.AlbumsTable, "must differ from IMAGES_TABLE")
	case s.Region == "":
		return bad("AWS_REGION", s.Region, "required")
	case !regionRE.MatchString(s.Region):
		return bad("AWS_REGION", s.Region, "not an AWS region name")
	case s.MaxImageBytes < 1 || s.MaxImageBytes > MaxMaxImageBytes:
		return bad("MAX_IMAGE_BYTES", s.MaxImageBytes, "want 1 byte to 5GiB")
	case s.DownloadTimeout <= 0 || s.DownloadTimeout > 10*time.Minute:
		return bad("DOWNLOAD_TIMEOUT", s.DownloadTimeout, "want a duration above 0 and at most 10m")
	case s.ShutdownTimeout <= 0 || s.ShutdownTimeout > 10*time.Minute:
		return bad("SHUTDOWN_TIMEOUT", s.ShutdownTimeout, "want a duration above 0 and at most 10m")
	case s.IMDS != IMDSAuto && s.IMDS != IMDSOn && s.IMDS != IMDSOff:
		return bad("IMDS", s.IMDS, "want auto, on or off")
	case len(s.InstanceID) > 128:
		return bad("INSTANCE_ID", s.InstanceID, "longer than 128 characters")
	case len(s.AllowedOriginPorts) == 0:
		return bad("ALLOWED_ORIGIN_PORTS", "", "want at least one port")
	case s.MaxConcurrentIngests < 1 || s.MaxConcurrentIngests > 1024:
		return bad("MAX_CONCURRENT_INGESTS", s.MaxConcurrentIngests, "want 1-1024")
	case s.MinDownloadRate < 0:
		return bad("MIN_DOWNLOAD_RATE", s.MinDownloadRate, "want 0 or a rate like 16KiB/s")
	}
	if s.Endpoint != "" {
		u, err := url.Parse(s.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("AWS_ENDPOINT_URL", s.Endpoint, "not an http(s) URL")
		}
	}
	if _, err := s.Level(); err != nil {
		return bad("LOG_LEVEL", s.LogLevel, "want debug, info, warn or error")
	}
	return nil
}

// Level is the slog level of LogLevel.
func (s Serve) Level() (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s.LogLevel))
	return l, err
}

// Addr is the listen address.
func (s Serve) Addr() string { return s.Host + ":" + strconv.Itoa(s.Port) }

// UseIMDS reports whether the instance id should come from IMDSv2.
func (s Serve) UseIMDS() bool {
	if s.InstanceID != "" {
		return false
	}
	switch s.IMDS {
	case IMDSOn:
		return true
	case IMDSAuto:
		return s.Endpoint == ""
	}
	return false
}

// byteSize is an int64 flag that accepts "1048576", "512KiB", "20MiB",
// "1GiB".
type byteSize int64

func (b *byteSize) String() string {
	if b == nil {
		return "0"
	}
	v := int64(*b)
	for _, u := range []struct {
		s string
		n int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v != 0 && v%u.n == 0 {
			return strconv.FormatInt(v/u.n, 10) + u.s
		}
	}
	return strconv.FormatInt(v, 10)
}

func (b *byteSize) Set(s string) error {
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range []struct {
		s string
		n int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if v, ok := strings.CutSuffix(num, u.s); ok {
			num, mult = strings.TrimSpace(v), u.n
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return fmt.Errorf("want a byte count like 20971520 or 20MiB")
	}
	*b = byteSize(n * mult)
	return nil
}

// portList is a flag of comma-separated TCP ports ("80,443").
type portList []int

func (p *portList) String() string {
	if p == nil {
		return ""
	}
	parts := make([]string, len(*p))
	for i, n := range *p {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func (p *portList) Set(v string) error {
	var ports []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("want comma-separated TCP ports 1-65535 like 80,443")
		}
		if !slices.Contains(ports, n) {
			ports = append(ports, n)
		}
	}
	*p = ports
	return nil
}

// byteRate is a bytes-per-second flag: "16384", "16KiB/s", "1MiB/s".
type byteRate int64

func (r *byteRate) String() string {
	if r == nil {
		return "0"
	}
	b := byteSize(*r)
	return b.String() + "/s"
}

func (r *byteRate) Set(v string) error {
	var b byteSize
	if err := b.Set(strings.TrimSuffix(strings.TrimSpace(v), "/s")); err != nil {
		return fmt.Errorf("want a rate like 16KiB/s")
	}
	*r = byteRate(b)
	return nil
}
