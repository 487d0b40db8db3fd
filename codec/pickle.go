package codec

import "fmt"

func decodePickle(b []byte) ([]Attr, error) {
	return nil, fmt.Errorf("%w: %w", ErrPickle, errNoPickle)
}
