package topic_test

import (
	"fmt"

	"github.com/logbus/logbus/topic"
)

func ExampleParse() {
	t, err := topic.Parse([]byte("PLM/scope-3/"))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%c %c %c %s\n", t.System, t.Kind, t.Encoding, t.Equipment)
	// Output: P L M scope-3
}

func ExampleFilter_Prefixes() {
	ps, _ := topic.Filter{Kinds: []topic.Kind{topic.Log}}.Prefixes()
	for _, p := range ps {
		fmt.Printf("%q\n", p)
	}
	// Output:
	// "TL"
	// "SL"
	// "PL"
}
