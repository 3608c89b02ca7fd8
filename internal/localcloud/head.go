package localcloud

import (
	"bufio"
	"os"
)

// readHead returns the first line of a file.
func readHead(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 4096), 4096)
	if s.Scan() {
		return s.Text(), nil
	}
	return "", s.Err()
}
