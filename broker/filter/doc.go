// Package filter decides which messages a consumer's subscription wants: the TAG filter and
// the SQL92 property filter of Apache RocketMQ, with RocketMQ's grammar and evaluation rules.
//
// Compile turns a subscription (expressionType, subString) into a Filter. The broker's pull
// path calls MatchTagsCode on each ConsumeQueue entry and Match on each message it reads:
//
//	ConsumeQueue entry (20 bytes)                      CommitLog record
//	+-----------------+--------+----------------+      +------------------------------+
//	| commitLogOffset | size   | tagsCode       | ---> | ... properties (TAGS, user)  |
//	| 8 bytes         | 4 bytes| 8 bytes        |      +------------------------------+
//	+-----------------+--------+----------------+                    |
//	                              |                                  v
//	                   MatchTagsCode(tagsCode)            Match(tags, props)
//	                   cheap, may over-accept             exact
//
// # TAG
//
// "" and "*" match every message. Otherwise the expression is split on "||", each part is
// trimmed (Java String.trim) and empty parts dropped: "TagA || TagB" subscribes to TagA and
// TagB. MatchTagsCode compares the low 32 bits of the tagsCode with the Java String.hashCode
// (over UTF-16 code units) of each tag; the codes are computed here, never taken from the
// client (rocketmq-client-go hashes UTF-8 bytes, which differs for non-ASCII tags). Match
// compares the message's TAGS value with each tag; a message without tags matches only "*".
//
// # SQL92
//
// The grammar is RocketMQ's SelectorParser.jj, reimplemented as a recursive-descent parser.
// Keywords are case-insensitive; identifiers are case-sensitive property names.
//
//	expression  = orExpr EOF .
//	orExpr      = andExpr { "OR" andExpr } .
//	andExpr     = equality { "AND" equality } .
//	equality    = comparison { ( "=" | "<>" ) comparison | "IS" [ "NOT" ] "NULL" } .
//	comparison  = unary { ( ">" | ">=" | "<" | "<=" ) unary
//	                    | [ "NOT" ] ( "CONTAINS" | "STARTSWITH" | "ENDSWITH" ) string
//	                    | [ "NOT" ] "BETWEEN" unary "AND" unary
//	                    | [ "NOT" ] "IN" "(" string { "," string } ")" } .
//	unary       = "+" unary | "-" unary | "NOT" unary | primary .
//	primary     = string | integer | decimal | "TRUE" | "FALSE" | "NULL"
//	            | identifier | "(" orExpr ")" .
//	identifier  = ( letter | "_" | "$" ) { letter | digit | "_" | "$" } .   (not a keyword)
//	string      = "'" { any character but "'" | "''" } "'" .
//	integer     = "0" | nonzero { digit } [ "L" | "l" ] .
//	decimal     = digits "." [ digits ] [ exponent ] | "." digits [ exponent ] | digits exponent .
//	exponent    = ( "E" | "e" ) [ "+" | "-" ] digits .
//
// Whitespace, "-- line comments" and "/* block comments */" separate tokens. There is no LIKE:
// RocketMQ's grammar has none. Note the precedence RocketMQ inherited: NOT is a unary operator
// that binds tighter than comparisons, so "NOT a = 'x'" is "(NOT a) = 'x'", which is never
// TRUE; write "NOT (a = 'x')" or "a <> 'x'". Equality binds looser than ordering, so
// "a > 1 = TRUE" is "(a > 1) = TRUE".
//
// A message's properties are strings; the TAGS property holds its tags (Match falls back to
// its tags argument when props has no TAGS entry). Literals have Java types: integers are
// Integer when they fit in 32 bits, else Long; decimals are Double; strings; booleans.
// Evaluation is three-valued, as in RocketMQ:
//
//   - A missing property is NULL. A comparison with a NULL operand is NULL, with one RocketMQ
//     quirk: "=" (and so "<>") is FALSE, not NULL, when only its right side is NULL
//     ("a = b" with a present and b missing). IS NULL is TRUE exactly when the value is NULL.
//   - AND is FALSE if either side is FALSE, OR is TRUE if either side is TRUE, else NULL if
//     either side is NULL. NOT NULL is NULL. Only a TRUE result matches.
//   - A property compared with a number is converted to the number's type (Integer.valueOf,
//     Long.valueOf, Double.valueOf): "a = 5" with a="5" is TRUE. Two properties compared with
//     > >= < <= are both converted to Double. Compared with TRUE/FALSE a property is TRUE
//     when it is "true" in any case.
//   - A conversion that fails ("a > 5" with a="abc", or with a="5.5" since 5 is an Integer) is
//     an evaluation error in RocketMQ: the whole expression does not match, whatever the rest
//     of it says (an OR that was already TRUE on its left stops before it). We do the same.
//   - "[NOT] IN" is NULL for a missing property. "[NOT] CONTAINS/STARTSWITH/ENDSWITH" are
//     never NULL: a missing property or an empty literal gives FALSE for both forms.
//   - A bare property used as a condition ("a AND b = 1") is NULL when missing, else FALSE.
//
// Some mistakes are refused when compiling, as RocketMQ's expression factories refuse them:
// "= NULL" (use IS NULL), a string or boolean literal or a condition on either side of
// > >= < <= or BETWEEN, literal BETWEEN bounds out of order, IN after something that is not a
// property, a literal or "-x" used as a condition, and TRUE/FALSE compared with another kind
// of literal. Unlike RocketMQ we also refuse text after a complete expression ("a = 1 b = 2";
// RocketMQ silently ignores " b = 2"), and we accept the decimal literal 0.0 (which RocketMQ
// refuses by mistake).
//
// Errors are *ParseError values whose Pos is the byte offset of the offending token:
//
//	filter: sql92: at 6: expected ')' near "AND"
//
// Expressions longer than MaxExpressionLen bytes or nested deeper than MaxDepth levels are
// refused, so neither parsing nor evaluation can exhaust the stack. Compiled filters are
// immutable, safe for concurrent use, and Match does not allocate.
package filter
