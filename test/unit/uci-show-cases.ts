// Small UCI files and what `uci show` prints for them: the reader's grammar cases
// (config-uci.test.ts) and, against uci itself, config-show-openwrt-uci.test.ts.
export const SHOW_CASES: { name: string; text: string; show: string }[] = [
  {
    name: 'named section, options, a list',
    text: "config backsoon 'main'\n\toption enabled '1'\n\tlist interface 'eth0'\n\tlist interface 'br-lan'\n",
    show: "backsoon.main=backsoon\nbacksoon.main.enabled='1'\nbacksoon.main.interface='eth0' 'br-lan'\n",
  },
  {
    name: "a single quote inside a value is printed as '\\''",
    text: "config a 'x'\n\toption o 'it'\\''s'\n\toption p \"don't\"\n",
    show: "backsoon.x=a\nbacksoon.x.o='it'\\''s'\nbacksoon.x.p='don'\\''t'\n",
  },
  {
    name: 'double quotes: backslash keeps the next character as it is',
    text: 'config a x\n\toption o "a\\"b\\\\c\\nd"\n',
    show: "backsoon.x=a\nbacksoon.x.o='a\"b\\cnd'\n",
  },
  {
    name: 'single quotes are literal: a backslash stays',
    text: "config a x\n\toption o 'a\\'\n",
    show: "backsoon.x=a\nbacksoon.x.o='a\\'\n",
  },
  {
    name: 'adjacent quoted and unquoted pieces make one word',
    text: "config a x\n\toption o 'a'\"b\"c\\ d\n\toption p it''s\n",
    show: "backsoon.x=a\nbacksoon.x.o='abc d'\nbacksoon.x.p='its'\n",
  },
  {
    name: 'unquoted backslash escapes a blank and a #',
    text: 'config a x\n\toption o a\\ b\n\toption p \\#x\n',
    show: "backsoon.x=a\nbacksoon.x.o='a b'\nbacksoon.x.p='#x'\n",
  },
  {
    name: 'a quoted value may span lines; the line break is kept',
    text: "config a x\n\toption o 'line1\nline2'\n\toption p \"multi\n\tline\"\n",
    show: "backsoon.x=a\nbacksoon.x.o='line1\nline2'\nbacksoon.x.p='multi\n\tline'\n",
  },
  {
    name: 'backslash + line break joins lines (unquoted and in double quotes)',
    text: 'config a x\n\toption o foo\\\nbar\n\toption p "foo\\\n  bar"\n',
    show: "backsoon.x=a\nbacksoon.x.o='foobar'\nbacksoon.x.p='foo  bar'\n",
  },
  {
    name: "comments: whole lines, after values, and '#' inside an unquoted word",
    text: "# head\n  # indented\nconfig a 'x'  # after the name\n\toption o foo#bar\n\toption p 'q'#c\n\toption r 'has # inside' # end\n",
    show: "backsoon.x=a\nbacksoon.x.o='foo'\nbacksoon.x.p='q'\nbacksoon.x.r='has # inside'\n",
  },
  {
    name: 'anonymous sections are @type[i], i counted over every section of the type',
    text: "config s\n\toption a 1\nconfig s 'n'\nconfig s\n\toption b 2\nconfig t\nconfig s ''\n",
    show: "backsoon.@s[0]=s\nbacksoon.@s[0].a='1'\nbacksoon.n=s\nbacksoon.@s[2]=s\nbacksoon.@s[2].b='2'\nbacksoon.@t[0]=t\nbacksoon.@s[3]=s\n",
  },
  {
    name: 'a repeated named section merges; a repeated option keeps its place and the last value',
    text: "config s 'n'\n\toption a 1\n\toption b 2\nconfig s 'm'\nconfig s 'n'\n\toption a 333\n\toption c 3\n\tlist l x\nconfig s 'n'\n\tlist l y\n",
    show: "backsoon.n=s\nbacksoon.n.a='333'\nbacksoon.n.b='2'\nbacksoon.n.c='3'\nbacksoon.n.l='x' 'y'\nbacksoon.m=s\n",
  },
  {
    name: "an empty option value sets nothing; an empty list item is kept",
    text: "config a x\n\toption o 1\n\toption o ''\n\toption p\n\toption q '' # c\n\tlist l ''\n\tlist l\n\tlist l 'z'\n",
    show: "backsoon.x=a\nbacksoon.x.o='1'\nbacksoon.x.l='' '' 'z'\n",
  },
  {
    name: 'one-letter statements, package line, punctuation in a type, quoted names',
    text: "package foo\nc 'a-b.c' x\n\to \"o\" 1\n\tl b 'x y'\n\tl b z\n",
    show: "backsoon.x=a-b.c\nbacksoon.x.o='1'\nbacksoon.x.b='x y' 'z'\n",
  },
  {
    name: 'blanks: tabs between words, blank lines, trailing blanks, tabs inside a value',
    text: "\n\n  config a 'x'  \n\t\toption  o\t'1'  \n\n\toption t 'a\tb'\n\tlist l 'x\ty'\n",
    show: "backsoon.x=a\nbacksoon.x.o='1'\nbacksoon.x.t='a\tb'\nbacksoon.x.l='x\ty'\n",
  },
  {
    name: 'CRLF line ends; a quoted value keeps the CR of its line breaks',
    text: "config a x\r\n\toption o 'v'\r\n\tlist l 1\r\n\tlist l 2\r\n\toption m 'l1\r\nl2'\r\n",
    show: "backsoon.x=a\nbacksoon.x.o='v'\nbacksoon.x.l='1' '2'\nbacksoon.x.m='l1\r\nl2'\n",
  },
  {
    name: "';' between statements; right after an unquoted word it ends the line",
    text: "config t 'a'; option o '1' ;list l 2\n\toption p v; option q 1\n\toption r 'w'; option s 2\n",
    show: "backsoon.a=t\nbacksoon.a.o='1'\nbacksoon.a.l='2'\nbacksoon.a.p='v'\nbacksoon.a.r='w'\nbacksoon.a.s='2'\n",
  },
  {
    name: 'option then list on one name: the value becomes the first item; list then option: the option wins',
    text: "config a x\n\toption o 1\n\tlist o 2\n\tlist p 1\n\tlist p 2\n\toption p 3\n\toption q 4\n",
    show: "backsoon.x=a\nbacksoon.x.o='1' '2'\nbacksoon.x.p='3'\nbacksoon.x.q='4'\n",
  },
  {
    name: "a name libuci gave an anonymous section reaches it",
    text: "config t\n\toption a 1\nconfig t 'cfg01b619'\n\toption b 2\n",
    show: "backsoon.@t[0]=t\nbacksoon.@t[0].a='1'\nbacksoon.@t[0].b='2'\n",
  },
  {
    name: 'UTF-8 text and no line end at the end of the file',
    text: "config a x\n\toption o 'Grüße'\n\toption p v",
    show: "backsoon.x=a\nbacksoon.x.o='Grüße'\nbacksoon.x.p='v'\n",
  },
];
