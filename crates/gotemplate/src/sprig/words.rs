//! huandu/xstrings' word splitting as sprig v3 uses it: `snakecase`,
//! `kebabcase` (`camelCaseToLowerCase`) and `camelcase` (`ToPascalCase`).
//! Only the algorithms; registration is in `strings`.

use super::strings::{is_go_space, lower_rune, upper_rune};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_go_space(c)
}

/// Go's `unicode.IsPunct` (Unicode category P): exact for ASCII and Latin-1,
/// the common general-punctuation and CJK blocks beyond.
pub(crate) fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return matches!(
            c,
            '!' | '"'
                | '#'
                | '%'
                | '&'
                | '\''
                | '('
                | ')'
                | '*'
                | ','
                | '-'
                | '.'
                | '/'
                | ':'
                | ';'
                | '?'
                | '@'
                | '['
                | '\\'
                | ']'
                | '_'
                | '{'
                | '}'
        );
    }
    matches!(c, '\u{a1}' | '\u{a7}' | '\u{ab}' | '\u{b6}' | '\u{b7}' | '\u{bb}' | '\u{bf}'
        | '\u{37e}' | '\u{387}' | '\u{55a}'..='\u{55f}' | '\u{589}' | '\u{58a}'
        | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{2043}' | '\u{2045}'..='\u{2051}'
        | '\u{2053}'..='\u{205e}' | '\u{207d}' | '\u{207e}' | '\u{208d}' | '\u{208e}'
        | '\u{2308}'..='\u{230b}' | '\u{2329}' | '\u{232a}' | '\u{2768}'..='\u{2775}'
        | '\u{27c5}' | '\u{27c6}' | '\u{27e6}'..='\u{27ef}' | '\u{2983}'..='\u{2998}'
        | '\u{29d8}'..='\u{29db}' | '\u{29fc}' | '\u{29fd}' | '\u{2cf9}'..='\u{2cfc}'
        | '\u{2cfe}' | '\u{2cff}' | '\u{2e00}'..='\u{2e2e}' | '\u{2e30}'..='\u{2e4f}'
        | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}' | '\u{3014}'..='\u{301f}'
        | '\u{3030}' | '\u{303d}' | '\u{30a0}' | '\u{30fb}' | '\u{fe10}'..='\u{fe19}'
        | '\u{fe30}'..='\u{fe52}' | '\u{fe54}'..='\u{fe61}' | '\u{fe63}' | '\u{fe68}'
        | '\u{fe6a}' | '\u{fe6b}' | '\u{ff01}'..='\u{ff03}' | '\u{ff05}'..='\u{ff0a}'
        | '\u{ff0c}'..='\u{ff0f}' | '\u{ff1a}' | '\u{ff1b}' | '\u{ff1f}' | '\u{ff20}'
        | '\u{ff3b}'..='\u{ff3d}' | '\u{ff3f}' | '\u{ff5b}' | '\u{ff5d}' | '\u{ff5f}'..='\u{ff65}')
}

/// xstrings `isAlphabet`: letters other than CJK ideographs.
fn is_alphabet(c: char) -> bool {
    if !c.is_alphabetic() {
        return false;
    }
    let u = c as u32;
    !((0x4e00..=0x9fcc).contains(&u)
        || (0x3400..=0x4d85).contains(&u)
        || (0x20000..=0x2b81d).contains(&u))
}

/// xstrings `nextWord` over chars (Rust strings hold no invalid UTF-8, so
/// the invalid-rune paths never trigger). Returns (type, word, rest).
fn next_word(s: &[char]) -> (Word, &[char], &[char]) {
    if s.is_empty() {
        return (Word::Invalid, s, s);
    }
    let r = s[0];
    let mut i = 1;
    let wt;
    if is_connector(r) {
        wt = Word::Connector;
        while i < s.len() && is_connector(s[i]) {
            i += 1;
        }
    } else if is_punct(r) {
        wt = Word::Punct;
        while i < s.len() && is_punct(s[i]) {
            i += 1;
        }
    } else if r.is_uppercase() {
        wt = Word::Upper;
        if i < s.len() {
            let r2 = s[i];
            if r2.is_uppercase() {
                let mut last = i;
                i += 1;
                while i < s.len() && s[i].is_uppercase() {
                    last = i;
                    i += 1;
                }
                if i < s.len() && is_alphabet(s[i]) {
                    i = last;
                }
            } else if is_alphabet(r2) {
                i += 1;
                while i < s.len() && is_alphabet(s[i]) && !s[i].is_uppercase() {
                    i += 1;
                }
            }
        }
    } else if is_alphabet(r) {
        wt = Word::Alphabet;
        while i < s.len() && is_alphabet(s[i]) && !s[i].is_uppercase() {
            i += 1;
        }
    } else if r.is_numeric() {
        wt = Word::Number;
        while i < s.len() && s[i].is_numeric() {
            i += 1;
        }
    } else {
        wt = Word::Other;
        while i < s.len() {
            let c = s[i];
            if is_connector(c) || is_alphabet(c) || c.is_numeric() || is_punct(c) {
                break;
            }
            i += 1;
        }
    }
    (wt, &s[..i], &s[i..])
}

fn to_lower(buf: &mut String, wt: Word, word: &[char], connector: char) {
    if wt != Word::Upper && wt != Word::Connector {
        buf.extend(word.iter());
        return;
    }
    for &c in word {
        if is_connector(c) {
            buf.push(connector);
        } else if c.is_uppercase() {
            buf.push(lower_rune(c));
        } else {
            buf.push(c);
        }
    }
}

/// xstrings `camelCaseToLowerCase` (`ToSnakeCase` with `_`, `ToKebabCase` with `-`).
pub(crate) fn to_lower_case(s: &str, connector: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut buf = String::new();
    if chars.is_empty() {
        return buf;
    }
    let (mut wt, mut word, mut rest) = next_word(&chars);
    while !rest.is_empty() {
        if wt != Word::Connector {
            to_lower(&mut buf, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word, rest) = next_word(rest);
        match prev {
            Word::Number => {
                while wt == Word::Alphabet || wt == Word::Number {
                    to_lower(&mut buf, wt, word, connector);
                    (wt, word, rest) = next_word(rest);
                }
                if wt != Word::Invalid && wt != Word::Punct && wt != Word::Connector {
                    buf.push(connector);
                }
            }
            Word::Connector => to_lower(&mut buf, prev, last, connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if wt != Word::Connector && wt != Word::Punct {
                        buf.push(connector);
                    }
                    continue;
                }
                if rest.is_empty() {
                    continue;
                }
                let last = word;
                (wt, word, rest) = next_word(rest);
                if wt != Word::Alphabet {
                    to_lower(&mut buf, Word::Number, last, connector);
                    if wt != Word::Connector && wt != Word::Punct {
                        buf.push(connector);
                    }
                    continue;
                }
                buf.push(connector);
                to_lower(&mut buf, Word::Number, last, connector);
                while wt == Word::Alphabet || wt == Word::Number {
                    to_lower(&mut buf, wt, word, connector);
                    (wt, word, rest) = next_word(rest);
                }
                if wt != Word::Invalid && wt != Word::Connector && wt != Word::Punct {
                    buf.push(connector);
                }
            }
        }
    }
    to_lower(&mut buf, wt, word, connector);
    buf
}

/// xstrings v1.5 `ToPascalCase`: connectors (`-`, `_`, spaces) removed,
/// the rune after each run of them upper-cased, the first rune upper-cased;
/// inside a word that starts upper-case, further upper-case runes are
/// lowered until the first lower-case one (`FOO_BAR` → `FooBar`, but
/// `alreadyCamel` → `AlreadyCamel`). Leading connectors, and all but the
/// last of a run, stay.
pub(crate) fn to_pascal_case(s: &str) -> String {
    let mut chars = s.chars();
    let mut buf = String::new();
    let mut r0 = '\0';
    let mut found = false;
    let mut first_upper = false;
    for c in chars.by_ref() {
        if !is_connector(c) {
            first_upper = c.is_uppercase();
            r0 = upper_rune(c);
            found = true;
            break;
        }
        buf.push(c);
    }
    if !found {
        // xstrings writes the last connector once more here.
        if let Some(last) = s.chars().last() {
            buf.push(last);
        }
        return buf;
    }
    let rest: Vec<char> = chars.collect();
    if rest.is_empty() {
        buf.push(r0);
        return buf;
    }
    for c in rest {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            buf.push(r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = r0.is_uppercase();
            r0 = upper_rune(r0);
        } else {
            if first_upper {
                if r0.is_uppercase() {
                    r0 = lower_rune(r0);
                } else {
                    first_upper = false;
                }
            }
            buf.push(r1);
        }
    }
    buf.push(r0);
    buf
}
