//! go-yaml's map key order for string keys (its `keyList.Less`): letters
//! compare by code point, a letter sorts after a non-letter, runs of digits
//! compare by numeric value, so `a2` < `a10`. v3 changed one rule (a letter
//! against a non-letter after a shared digit).
//!
//! The comparison is not guaranteed to be a total order, so keys are sorted
//! with a merge sort that only asks "less?" and cannot panic.

use super::emit::Flavor;

fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

fn digit_value(c: char) -> i64 {
    i64::from(c as u32) - i64::from(b'0')
}

/// go-yaml's `Less` for two string keys.
pub fn less(a: &str, b: &str, flavor: Flavor) -> bool {
    if a.is_ascii() && b.is_ascii() {
        // one byte per rune: compare without decoding
        return less_runes(a.as_bytes(), b.as_bytes(), |&c| char::from(c), flavor);
    }
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    less_runes(&ar, &br, |&c| c, flavor)
}

fn less_runes<T>(ar: &[T], br: &[T], rune: impl Fn(&T) -> char, flavor: Flavor) -> bool {
    let a = |i: usize| rune(&ar[i]);
    let b = |i: usize| rune(&br[i]);
    let mut digits = false;
    let n = ar.len().min(br.len());
    for i in 0..n {
        if a(i) == b(i) {
            digits = is_digit(a(i));
            continue;
        }
        let al = is_letter(a(i));
        let bl = is_letter(b(i));
        if al && bl {
            return a(i) < b(i);
        }
        if al || bl {
            return match flavor {
                Flavor::V3 if digits => al,
                _ => bl,
            };
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if a(i) == '0' || b(i) == '0' {
            let mut j = i;
            while j > 0 && is_digit(a(j - 1)) {
                j -= 1;
                if a(j) != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(a(ai)) {
            an = an.wrapping_mul(10).wrapping_add(digit_value(a(ai)));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(b(bi)) {
            bn = bn.wrapping_mul(10).wrapping_add(digit_value(b(bi)));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return a(i) < b(i);
    }
    ar.len() < br.len()
}

/// Sort `items` by their key with go-yaml's order (stable merge sort).
pub fn sort_by_key<T>(items: &mut Vec<T>, key: impl Fn(&T) -> &str, flavor: Flavor) {
    merge_sort(items, &key, flavor);
}

fn merge_sort<T, F: Fn(&T) -> &str>(items: &mut Vec<T>, key: &F, flavor: Flavor) {
    if items.len() < 2 {
        return;
    }
    let mut v: Vec<T> = std::mem::take(items);
    let right = v.split_off(v.len() / 2);
    let mut left = v;
    let mut right = right;
    merge_sort(&mut left, key, flavor);
    merge_sort(&mut right, key, flavor);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut l = left.into_iter().peekable();
    let mut r = right.into_iter().peekable();
    loop {
        match (l.peek(), r.peek()) {
            (Some(x), Some(y)) => {
                if less(key(y), key(x), flavor) {
                    out.extend(r.next());
                } else {
                    out.extend(l.next());
                }
            }
            (Some(_), None) => out.extend(l.next()),
            (None, Some(_)) => out.extend(r.next()),
            (None, None) => break,
        }
    }
    *items = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_runs() {
        let mut keys = vec!["a10", "a2", "b", "A", "_x", "1", "10", "9", "a01", "a1"];
        sort_by_key(&mut keys, |k| k, Flavor::V2);
        assert_eq!(
            keys,
            // the order Helm's toYaml gives these keys
            vec!["_x", "1", "9", "10", "A", "a1", "a01", "a2", "a10", "b"]
        );
    }
}
