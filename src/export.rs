//! Exported files: a panel, a table or any data as SVG, PNG, CSV or JSON,
//! each carrying its [`Provenance`] in the format's own place — SVG
//! `<metadata>`, a PNG `iTXt` chunk (with the PNG chunk codec), CSV `#`
//! comment lines, a JSON field. The page and `fa-lab figure` both write
//! through here.

use serde::Serialize;

use crate::describe::Table;
use crate::figure::{Panel, csv_field};
use crate::provenance::Provenance;
use crate::{Error, Result};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// One chunk of a PNG: its type and data (the CRC has been checked).
#[derive(Debug)]
pub struct PngChunk<'a> {
    pub kind: [u8; 4],
    pub data: &'a [u8],
}

/// Splits a PNG into its chunks, checking the signature, every length and every CRC.
pub fn png_chunks(png: &[u8]) -> Result<Vec<PngChunk<'_>>> {
    let bad = |m: String| Error::CorruptData(format!("not a valid PNG: {m}"));
    if png.len() < 8 || png[..8] != PNG_SIGNATURE {
        return Err(bad("no PNG signature".into()));
    }
    let mut chunks = Vec::new();
    let mut at = 8;
    while at < png.len() {
        let head = png.get(at..at + 8).ok_or_else(|| bad(format!("truncated chunk header at byte {at}")))?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = [head[4], head[5], head[6], head[7]];
        let end = at + 12 + len;
        let body = png.get(at + 4..end).ok_or_else(|| bad(format!("chunk at byte {at} runs past the end")))?;
        let (typed, crc) = body.split_at(4 + len);
        if crc32fast::hash(typed) != u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]) {
            return Err(bad(format!("chunk {} has a wrong CRC", String::from_utf8_lossy(&kind))));
        }
        chunks.push(PngChunk { kind, data: &typed[4..] });
        at = end;
    }
    match (chunks.first(), chunks.last()) {
        (Some(first), Some(last)) if &first.kind == b"IHDR" && &last.kind == b"IEND" => Ok(chunks),
        _ => Err(bad("it must start with IHDR and end with IEND".into())),
    }
}

/// `png` with an uncompressed international text chunk (`iTXt`, UTF-8)
/// `keyword` = `text` placed right after the header, so readers that stop
/// early (and `exiftool`, `identify -verbose`) see it.
pub fn png_with_text(png: &[u8], keyword: &str, text: &str) -> Result<Vec<u8>> {
    if keyword.is_empty() || keyword.len() > 79 || !keyword.bytes().all(|b| (32..=126).contains(&b)) {
        return Err(Error::InvalidParam(format!(
            "a PNG text keyword must be 1-79 printable Latin-1 bytes, not {keyword:?}"
        )));
    }
    let chunks = png_chunks(png)?;
    // keyword, NUL, compression flag 0, method 0, no language tag (NUL), no translated keyword (NUL), text.
    let mut data = Vec::with_capacity(keyword.len() + 5 + text.len());
    data.extend_from_slice(keyword.as_bytes());
    data.extend_from_slice(&[0, 0, 0, 0, 0]);
    data.extend_from_slice(text.as_bytes());
    let ihdr_end = 8 + 12 + chunks[0].data.len();
    let mut out = Vec::with_capacity(png.len() + data.len() + 12);
    out.extend_from_slice(&png[..ihdr_end]);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut typed = b"iTXt".to_vec();
    typed.extend_from_slice(&data);
    out.extend_from_slice(&typed);
    out.extend_from_slice(&crc32fast::hash(&typed).to_be_bytes());
    out.extend_from_slice(&png[ihdr_end..]);
    Ok(out)
}

/// The `(keyword, text)` pairs of a PNG's uncompressed `tEXt` and `iTXt` chunks.
pub fn png_texts(png: &[u8]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for c in png_chunks(png)? {
        let Some(nul) = c.data.iter().position(|&b| b == 0) else { continue };
        let keyword = String::from_utf8_lossy(&c.data[..nul]).into_owned();
        let rest = &c.data[nul + 1..];
        match &c.kind {
            b"tEXt" => out.push((keyword, rest.iter().map(|&b| b as char).collect())),
            b"iTXt" if rest.len() >= 2 && rest[0] == 0 => {
                // Skip the language tag and the translated keyword (two NUL-terminated fields).
                let mut fields = rest[2..].splitn(3, |&b| b == 0);
                let (_, _, text) = (fields.next(), fields.next(), fields.next().unwrap_or_default());
                out.push((keyword, String::from_utf8_lossy(text).into_owned()));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Escapes text for XML content and attributes.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `svg` (as plotters writes it) with an accessible `<title>` and `<desc>` and
/// the provenance as JSON inside `<metadata>`, right after the `<svg>` tag.
pub fn svg_with_metadata(svg: &str, title: &str, description: &str, prov: &Provenance) -> Result<String> {
    let open = svg.find("<svg").ok_or_else(|| Error::Plot("the drawing is not an SVG document".into()))?;
    let close =
        svg[open..].find('>').map(|i| open + i + 1).ok_or_else(|| Error::Plot("unterminated <svg> tag".into()))?;
    let head = svg[..close].replacen("<svg", "<svg role=\"img\" aria-labelledby=\"fa-lab-title fa-lab-desc\"", 1);
    Ok(format!(
        "{head}\n<title id=\"fa-lab-title\">{}</title>\n<desc id=\"fa-lab-desc\">{}</desc>\n<metadata id=\"fa-lab-provenance\" data-format=\"application/json\">{}</metadata>{}",
        xml_escape(title),
        xml_escape(description),
        xml_escape(&prov.to_json()),
        &svg[close..]
    ))
}

/// One panel's plotted data as CSV ([`Panel::to_csv`], the schema
/// `fa-lab figure`'s whole-figure CSV has too), headed by the provenance as `#` lines.
pub fn panel_csv(panel: &Panel, prov: &Provenance) -> String {
    prov.csv_comment() + &panel.to_csv()
}

/// A table (as the page shows it) as CSV, headed by the provenance as `#` lines.
pub fn table_csv(table: &Table, prov: &Provenance) -> String {
    let line = |cells: &[String]| cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",") + "\n";
    let mut s = prov.csv_comment();
    s.push_str(&line(&table.columns));
    table.rows.iter().for_each(|row| s.push_str(&line(row)));
    s
}

/// `{"provenance": …, key: value}` as JSON (NaN as null).
pub fn json_with(key: &str, value: &impl Serialize, prov: &Provenance) -> String {
    let mut map = serde_json::Map::new();
    map.insert("provenance".into(), serde_json::to_value(prov).expect("provenance serialises"));
    map.insert(key.into(), serde_json::to_value(value).expect("exports serialise"));
    serde_json::to_string_pretty(&map).expect("exports serialise") + "\n"
}

/// One panel as JSON: `{"provenance": …, "panel": …}` (NaN as null).
pub fn panel_json(panel: &Panel, prov: &Provenance) -> String {
    json_with("panel", panel, prov)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::{FailureCount, Series};
    use crate::provenance::tests::prov;
    use crate::provenance::{PNG_KEYWORD, VERSION};

    const TINY_PNG: [u8; 70] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00,
        0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff,
        0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];

    #[test]
    fn png_text_goes_after_the_header_with_a_valid_crc() {
        let text = "{\"link\":\"#/train?rule=fa\",\"note\":\"∠ 81°\"}";
        let out = png_with_text(&TINY_PNG, PNG_KEYWORD, text).unwrap();
        let chunks = png_chunks(&out).unwrap();
        let kinds: Vec<&[u8; 4]> = chunks.iter().map(|c| &c.kind).collect();
        assert_eq!(kinds, [b"IHDR", b"iTXt", b"IDAT", b"IEND"]);
        // The chunk's CRC, recomputed here by the bitwise definition (not crc32fast).
        let start = 8 + 25;
        let len = u32::from_be_bytes(out[start..start + 4].try_into().unwrap()) as usize;
        let mut crc = 0xffff_ffffu32;
        for &b in &out[start + 4..start + 8 + len] {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
            }
        }
        assert_eq!(!crc, u32::from_be_bytes(out[start + 8 + len..start + 12 + len].try_into().unwrap()));
        assert_eq!(png_texts(&out).unwrap(), vec![(PNG_KEYWORD.to_string(), text.to_string())]);
        // The image itself is untouched.
        assert_eq!(&out[..33], &TINY_PNG[..33]);
        assert_eq!(&out[out.len() - 37..], &TINY_PNG[33..]);
    }

    #[test]
    fn damaged_pngs_and_bad_keywords_are_refused() {
        let mut bad = TINY_PNG;
        bad[45] ^= 1;
        assert!(png_chunks(&bad).unwrap_err().to_string().contains("IDAT has a wrong CRC"));
        assert!(png_chunks(&TINY_PNG[..50]).is_err());
        assert!(png_chunks(b"GIF89a").is_err());
        assert!(png_with_text(&TINY_PNG, "", "x").is_err());
        assert!(png_with_text(&TINY_PNG, "é", "x").is_err());
    }

    #[test]
    fn svg_metadata_is_escaped_and_placed_inside_the_root() {
        let svg = "<svg width=\"10\" height=\"10\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect/></svg>";
        let out = svg_with_metadata(svg, "A <b>", "d & e", &prov()).unwrap();
        assert!(out.starts_with("<svg role=\"img\""));
        assert!(out.contains("<title id=\"fa-lab-title\">A &lt;b&gt;</title>"));
        assert!(out.contains("<desc id=\"fa-lab-desc\">d &amp; e</desc>"));
        let meta = out.split("data-format=\"application/json\">").nth(1).unwrap().split("</metadata>").next().unwrap();
        let json = meta.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        assert_eq!(serde_json::from_str::<Provenance>(&json).unwrap(), prov());
        assert!(out.ends_with("<rect/></svg>"));
        assert!(svg_with_metadata("<html>", "t", "d", &prov()).is_err());
    }

    #[test]
    fn csv_heads_with_comments_and_quotes_labels() {
        let series = vec![Series {
            key: "s".into(),
            label: "W_1, \"FA\"".into(),
            colour: 0,
            dashed: false,
            x: vec![1.0, 2.0],
            mean: vec![80.5, 70.25],
            sd: vec![1.0, 0.0],
            n: vec![2, 1],
        }];
        let panel = Panel {
            failures: vec![FailureCount {
                condition: "fa".into(),
                label: "FA".into(),
                runs: 3,
                died: 1,
                revived: 0,
                revived_median_step: None,
                diverged: 0,
                median_step: 119.0,
                in_means: true,
                left_out: 0,
            }],
            notes: vec!["FA+WN trains with η = 5e-4".into()],
            ..Panel::lines("a", "t", "iteration", "angle (degrees)", series)
        };
        let csv = panel_csv(&panel, &prov());
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with(&format!("# FA Lab {VERSION} (commit ")));
        assert!(lines.contains(&"# link: #/figures?fig=fig2b&seed=3"));
        assert!(lines.contains(&"# run: FA run 0; seed 3; 10 steps; fingerprint 0123456789abcdef"));
        assert!(
            lines.contains(&"# note: FA: of 3 runs, 1 had all outputs zero from a median step 119 and stayed dead; kept in the means"),
            "{lines:?}"
        );
        assert!(lines.contains(&"# note: FA+WN trains with η = 5e-4"));
        let data: Vec<&str> = lines.iter().copied().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            data,
            [
                "panel,series,label,x,mean,sd,n",
                "a,s,\"W_1, \"\"FA\"\"\",1,80.5,1,2",
                "a,s,\"W_1, \"\"FA\"\"\",2,70.25,0,1"
            ]
        );
        let json: serde_json::Value = serde_json::from_str(&panel_json(&panel, &prov())).unwrap();
        assert_eq!(json["provenance"]["runs"][0]["fingerprint"], "0123456789abcdef");
        assert_eq!(json["panel"]["series"][0]["mean"][1], 70.25);
    }

    #[test]
    fn tables_as_csv_quote_fields_and_keep_the_provenance() {
        let table = Table {
            caption: "c".into(),
            columns: vec!["test image".into(), "says, in words".into()],
            rows: vec![vec!["3".into(), "a \"7\"".into()]],
            note: String::new(),
        };
        let csv = table_csv(&table, &prov());
        let body: Vec<&str> = csv.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(body, ["test image,\"says, in words\"", "3,\"a \"\"7\"\"\""]);
        assert!(csv.starts_with(&prov().csv_comment()));
        let json: serde_json::Value = serde_json::from_str(&json_with("rows", &[1.5, f64::NAN], &prov())).unwrap();
        assert_eq!(json["rows"], serde_json::json!([1.5, null]));
        assert_eq!(json["provenance"]["link"], serde_json::to_value(prov().link).unwrap());
    }
}
