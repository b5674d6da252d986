package domain

import (
	"fmt"
	"strconv"
)

// Money is an amount in the currency's minor units (cents for USD) with its ISO 4217 code. It is
// never a float: sums and comparisons are exact.
type Money struct {
	// Value is in minor units, such as 12000000 for 120,000.00 USD.
	Value    int64  `json:"value"`
	Currency string `json:"currency"`
}

// USD returns an amount of US dollars given in cents.
func USD(cents int64) Money { return Money{Value: cents, Currency: "USD"} }

// String writes m with its currency's decimals, such as "120000.00 USD".
func (m Money) String() string {
	exp := CurrencyExponent(m.Currency)
	v := m.Value
	sign := ""
	if v < 0 {
		sign = "-"
		v = -v
	}
	if exp == 0 {
		return sign + strconv.FormatInt(v, 10) + " " + m.Currency
	}
	div := int64(1)
	for range exp {
		div *= 10
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, v/div, exp, v%div, m.Currency)
}

// currencyExponents holds the currencies whose minor unit is not 1/100.
var currencyExponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// CurrencyExponent returns the number of decimals of the currency's minor unit (2 for most).
func CurrencyExponent(code string) int {
	if e, ok := currencyExponents[code]; ok {
		return e
	}
	return 2
}

// iso4217 holds the active ISO 4217 currency codes.
var iso4217 = setOf(
	"AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP " +
		"BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP " +
		"GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR " +
		"KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK " +
		"MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR " +
		"SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS " +
		"UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG")

// ValidCurrency reports whether code is an active ISO 4217 currency code.
func ValidCurrency(code string) bool { return iso4217[code] }
