package constructs

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Handover is what a deploy does with the data a destroy keeps (the
// resources of Removal Retain) besides managing it: the way out of a stack
// with the data kept, and the way back into one.
type Handover string

const (
	// Manage: the stack manages its data; a destroy keeps it (the
	// default).
	Manage Handover = ""
	// Release: the deploy gives every retained resource up without
	// deleting it (Terraform `removed` blocks, destroy = false): the state
	// forgets it, so a destroy afterwards removes everything else and
	// leaves the data. What else refers to it reads it where it is.
	Release Handover = "release"
	// Adopt: the deploy takes retained resources of the same names back
	// into the stack (Terraform `import` blocks) instead of failing to
	// create them with "already exists".
	Adopt Handover = "adopt"
)

// handover is the Handover cfg asks for (Validate refuses both at once).
func handover(cfg Config) Handover {
	switch {
	case cfg.ReleaseData:
		return Release
	case cfg.AdoptData:
		return Adopt
	}
	return Manage
}

// Retained is a resource a destroy leaves in place (Removal Retain) and
// what either toolchain needs to find it again.
type Retained struct {
	ID ID
	// Name is the resource's name, which is what an import of it takes
	// (Terraform's import id; the value of ImportProperty). It may contain
	// AccountToken.
	Name string
	// ImportProperty is the CloudFormation property that identifies the
	// resource in a `cdk import` resource mapping: its type's primary
	// identifier (BucketName, TableName).
	ImportProperty string
}

// CloudFormation properties that identify a bucket and a table on import.
const (
	BucketImportProperty = "BucketName"
	TableImportProperty  = "TableName"
)

// Retained lists the resources a destroy keeps, in Walk order: the image
// bucket and both tables when destroy_data is false, none when it is true.
// It is the one list that releasing, adopting and the CloudFormation
// import mapping all use.
func (s *System) Retained() []Retained {
	var out []Retained
	if s.Bucket.Removal == Retain {
		out = append(out, Retained{ID: s.Bucket.ID, Name: s.Bucket.Name, ImportProperty: BucketImportProperty})
	}
	for _, t := range []*Table{&s.ImagesTable, &s.AlbumsTable} {
		if t.Removal == Retain {
			out = append(out, Retained{ID: t.ID, Name: t.Name, ImportProperty: TableImportProperty})
		}
	}
	return out
}

// ErrNothingRetained reports an import mapping asked of a system whose
// destroy keeps nothing (destroy_data=true).
var ErrNothingRetained = errors.New("a destroy keeps nothing (destroy_data=true): there is nothing to import")

var accountRE = regexp.MustCompile(`^\d{12}$`)

// ImportMapping is the resource mapping `cdk import --resource-mapping`
// reads to adopt the retained resources into a CloudFormation stack:
// logical ID -> {identifier property: name}, the account id in place of
// AccountToken.
func (s *System) ImportMapping(account string) (map[ID]map[string]string, error) {
	if !accountRE.MatchString(account) {
		return nil, &FieldError{Field: "account", Value: account, Reason: "not a 12-digit AWS account id"}
	}
	kept := s.Retained()
	if len(kept) == 0 {
		return nil, ErrNothingRetained
	}
	m := make(map[ID]map[string]string, len(kept))
	for _, r := range kept {
		if _, dup := m[r.ID]; dup {
			return nil, fmt.Errorf("retained id %s listed twice", r.ID)
		}
		m[r.ID] = map[string]string{r.ImportProperty: strings.ReplaceAll(r.Name, AccountToken, account)}
	}
	return m, nil
}
