package pickle_test

import (
	"fmt"

	"github.com/logbus/logbus/dialect/internal/pickle"
)

func ExampleDecode() {
	// pickle.dumps({'msg': 'hi', 'levelno': 20, 'args': (1,)}, protocol=2)
	data := []byte("\x80\x02}q\x00(X\x03\x00\x00\x00msgq\x01X\x02\x00\x00\x00hiq\x02" +
		"X\x07\x00\x00\x00levelnoq\x03K\x14X\x04\x00\x00\x00argsq\x04K\x01\x85q\x05u.")
	v, err := pickle.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := v.(*pickle.Dict)
	msg, _ := rec.Get("msg")
	level, _ := rec.Get("levelno")
	args, _ := rec.Get("args")
	fmt.Printf("%v %v %#v\n", msg, level, args)

	// The classic exploit pickle is inert data here.
	v, err = pickle.Decode([]byte("cos\nsystem\n(S'echo pwned'\ntR."))
	fmt.Printf("%+v %v\n", v, err)
	// Output:
	// hi 20 pickle.Tuple{1}
	// {Class:os.system Args:[echo pwned] Kwargs:<nil> State:<nil> ListItems:[] DictItems:<nil>} <nil>
}
