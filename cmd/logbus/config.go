package main

import (
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// newViper binds a command's flags to the environment (LOGBUS_<FLAG>,
// dashes as underscores): flags win over the environment, the environment
// over defaults.
func newViper(fs *pflag.FlagSet) (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix("LOGBUS")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(fs); err != nil {
		return nil, err
	}
	return v, nil
}
