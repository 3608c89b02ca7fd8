package localcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/state"
)

// Album is the albums API's resource.
type Album struct {
	ID     string  `json:"id"`
	Title  string  `json:"title"`
	Artist string  `json:"artist"`
	Price  float64 `json:"price"`
}

// ConsistencyCheck is one comparison between instances.
type ConsistencyCheck struct {
	What  string
	Agree bool
	Got   string
}

// Consistency runs the two-instance check on d: an album posted to
// instance 2 must be read back unchanged from instance 1, one posted to
// instance 1 from instance 2, and every instance must list the same
// albums. The instances are the servers in service now (ServerURLs, by
// instance id); it needs at least two.
// It returns the checks and the servers' URLs.
func Consistency(ctx context.Context, d *state.Deployment, now time.Time) ([]ConsistencyCheck, []string, error) {
	const op = "consistency"
	urls, err := ServerURLs(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	if len(urls) < 2 {
		return nil, urls, apperr.Errorf(apperr.Invalid, op, "%s runs %d server(s): the check needs at least 2 (local up --instances 2)", d.Name, len(urls))
	}
	c := &http.Client{Timeout: 15 * time.Second}
	var out []ConsistencyCheck
	stamp := now.UTC().Format("20060102T150405.000000000")
	stamp = strings.ReplaceAll(stamp, ".", "")
	pairs := [][2]int{{1, 0}, {0, 1}} // post to 2, read 1; post to 1, read 2
	for i, pr := range pairs {
		a := Album{ID: fmt.Sprintf("consistency-%s-%d", stamp, i), Title: "Consistency check", Artist: "twinstack", Price: 9.99}
		if err := postAlbum(ctx, c, urls[pr[0]], a); err != nil {
			return out, urls, err
		}
		got, status, err := getAlbum(ctx, c, urls[pr[1]], a.ID)
		if err != nil {
			return out, urls, err
		}
		ck := ConsistencyCheck{What: fmt.Sprintf("album %s posted to instance %d, read from instance %d", a.ID, pr[0]+1, pr[1]+1)}
		ck.Agree = status == http.StatusOK && got == a
		if ck.Agree {
			ck.Got = "same album"
		} else {
			ck.Got = fmt.Sprintf("status %d, %+v", status, got)
		}
		out = append(out, ck)
	}
	var first []string
	for i, u := range urls {
		ids, err := listAlbums(ctx, c, u)
		if err != nil {
			return out, urls, err
		}
		if i == 0 {
			first = ids
			continue
		}
		ck := ConsistencyCheck{What: fmt.Sprintf("album list of instance %d vs instance 1", i+1), Agree: strings.Join(ids, ",") == strings.Join(first, ",")}
		ck.Got = fmt.Sprintf("%d vs %d albums", len(ids), len(first))
		out = append(out, ck)
	}
	return out, urls, nil
}

func postAlbum(ctx context.Context, c *http.Client, base string, a Album) error {
	b, _ := json.Marshal(a)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/albums", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return apperr.E(apperr.ServerUnreachable, "consistency", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return apperr.Errorf(apperr.BadGateway, "consistency", "POST %s/albums: %d %s", base, resp.StatusCode, body)
	}
	return nil
}

func getAlbum(ctx context.Context, c *http.Client, base, id string) (Album, int, error) {
	var a Album
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/albums/"+id, nil)
	if err != nil {
		return a, 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return a, 0, apperr.E(apperr.ServerUnreachable, "consistency", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
			return a, resp.StatusCode, apperr.E(apperr.BadGateway, "consistency", err)
		}
	}
	return a, resp.StatusCode, nil
}

func listAlbums(ctx context.Context, c *http.Client, base string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/albums", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, apperr.E(apperr.ServerUnreachable, "consistency", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	// Either a bare list or an object with a list under "albums".
	var list []Album
	if err := json.Unmarshal(raw, &list); err != nil {
		var wrapped struct {
			Albums []Album `json:"albums"`
		}
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			return nil, apperr.Errorf(apperr.BadGateway, "consistency", "GET %s/albums: not a list: %.200s", base, raw)
		}
		list = wrapped.Albums
	}
	var ids []string
	for _, a := range list {
		ids = append(ids, fmt.Sprintf("%s=%s/%s/%.2f", a.ID, a.Title, a.Artist, a.Price))
	}
	sort.Strings(ids)
	return ids, nil
}
