//! A city's logo: uploaded by its administrators, checked (PNG, JPEG or
//! WebP, at most 256 KiB and 2,000 pixels a side, read from the image's
//! own header rather than from what the browser claimed), kept in the
//! database and served with the city's site under a URL that changes with
//! the image, so browsers may keep it for a year.

use super::DbResultExt;
use super::tenants::{self, TenantRecord};
use crate::access::Ctx;
use crate::model::{Tenant, TenantPatch};
use chrono::Utc;
use minsheng_domain::Error;
use minsheng_store::entity::tenant_logo;
use minsheng_store::queries::logos as q;
use sha2::{Digest, Sha256};

/// The largest logo, in bytes.
pub const MAX_BYTES: usize = 256 << 10;
/// The largest logo, in pixels a side.
pub const MAX_SIDE: u32 = 2000;

/// A stored logo, as the site serves it.
pub struct Logo {
    pub content_type: String,
    pub image: Vec<u8>,
    pub hash: String,
}

/// What an uploaded image is: its type and size in pixels.
#[derive(Debug, PartialEq, Eq)]
pub struct Image {
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Read an image's type and size from its header, or say why it is not a
/// logo the site can show.
pub fn check(bytes: &[u8]) -> Result<Image, Error> {
    if bytes.is_empty() {
        return Err(Error::invalid("logo", "choose an image file to upload"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(Error::invalid(
            "logo",
            format!(
                "the image is {} KiB; a logo may be at most {} KiB",
                bytes.len().div_ceil(1024),
                MAX_BYTES / 1024
            ),
        ));
    }
    let image = png(bytes)
        .or_else(|| jpeg(bytes))
        .or_else(|| webp(bytes))
        .ok_or_else(|| {
            Error::invalid(
                "logo",
                "not a PNG, JPEG or WebP image (SVG and other formats are not accepted)",
            )
        })?;
    if image.width == 0 || image.height == 0 {
        return Err(Error::invalid("logo", "the image has no pixels"));
    }
    if image.width > MAX_SIDE || image.height > MAX_SIDE {
        return Err(Error::invalid(
            "logo",
            format!(
                "the image is {}×{} pixels; a logo may be at most {MAX_SIDE} pixels a side",
                image.width, image.height
            ),
        ));
    }
    Ok(image)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?).into())
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?).into())
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

/// PNG: the signature, then the IHDR chunk's width and height.
fn png(b: &[u8]) -> Option<Image> {
    if !b.starts_with(b"\x89PNG\r\n\x1a\n") || b.get(12..16)? != b"IHDR" {
        return None;
    }
    Some(Image {
        content_type: "image/png",
        width: be32(b, 16)?,
        height: be32(b, 20)?,
    })
}

/// JPEG: walk the segments to the first start-of-frame.
fn jpeg(b: &[u8]) -> Option<Image> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    loop {
        while *b.get(at)? != 0xFF {
            at += 1;
        }
        while *b.get(at)? == 0xFF {
            at += 1;
        }
        let marker = *b.get(at)?;
        at += 1;
        match marker {
            // Standalone markers carry no length.
            0xD0..=0xD9 | 0x01 => continue,
            // Start of frame (not DHT, JPG or DAC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                return Some(Image {
                    content_type: "image/jpeg",
                    height: be16(b, at + 3)?,
                    width: be16(b, at + 5)?,
                });
            }
            _ => at += usize::try_from(be16(b, at)?).ok()?,
        }
    }
}

/// WebP: lossy (`VP8 `), lossless (`VP8L`) or extended (`VP8X`).
fn webp(b: &[u8]) -> Option<Image> {
    if b.get(0..4)? != b"RIFF" || b.get(8..12)? != b"WEBP" {
        return None;
    }
    let (width, height) = match b.get(12..16)? {
        b"VP8 " => {
            if b.get(23..26)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            (le16(b, 26)? & 0x3FFF, le16(b, 28)? & 0x3FFF)
        }
        b"VP8L" => {
            if *b.get(20)? != 0x2F {
                return None;
            }
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        }
        b"VP8X" => (le24(b, 24)? + 1, le24(b, 27)? + 1),
        _ => return None,
    };
    Some(Image {
        content_type: "image/webp",
        width,
        height,
    })
}

/// The branding a change to the logo keeps, with the site title in force.
fn current_branding(record: &TenantRecord) -> crate::model::Branding {
    let mut branding = record.branding.clone();
    branding.site_title = Some(record.row.site_title.clone());
    branding
}

/// Finish a change of logo in `tx`: the site's branding points at it (or
/// at none), the city's cached settings are dropped, and the audit log
/// says what changed (`target`).
async fn show(
    ctx: &Ctx,
    tx: minsheng_store::DatabaseTransaction,
    record: &TenantRecord,
    branding: crate::model::Branding,
    target: &str,
) -> Result<Tenant, Error> {
    let patch = TenantPatch {
        branding: Some(branding),
        ..TenantPatch::default()
    };
    let updated = tenants::update(&tx, &record.slug, patch).await?;
    tx.commit().await.or_internal()?;
    ctx.app.tenants.forget(&record.slug);
    ctx.audit(Some(record.id), "tenant_logo", target, "ok")
        .await;
    Ok(updated)
}

/// Keep `bytes` as the city's logo and show it on its site.
pub async fn upload_by(ctx: &Ctx, slug: &str, bytes: &[u8]) -> Result<Tenant, Error> {
    let record = tenants::find(ctx.db(), slug).await?;
    ctx.authorize(&record, "tenant:write").await?;
    let image = check(bytes)?;
    let hash = hex(&Sha256::digest(bytes));
    let mut branding = current_branding(&record);
    branding.logo_url = Some(format!("/t/{slug}/logo?v={}", &hash[..16]));
    let tx = ctx.tx(record.id).await?;
    q::put(
        &tx,
        tenant_logo::Model {
            tenant_id: record.id.into_uuid(),
            content_type: image.content_type.to_owned(),
            image: bytes.to_vec(),
            hash,
            updated_at: Utc::now(),
        },
    )
    .await
    .or_internal()?;
    let target = format!(
        "tenant:{slug} {} {}x{} {} bytes",
        image.content_type,
        image.width,
        image.height,
        bytes.len()
    );
    show(ctx, tx, &record, branding, &target).await
}

/// Take the city's logo off its site and forget it.
pub async fn remove_by(ctx: &Ctx, slug: &str) -> Result<Tenant, Error> {
    let record = tenants::find(ctx.db(), slug).await?;
    ctx.authorize(&record, "tenant:write").await?;
    let mut branding = current_branding(&record);
    branding.logo_url = None;
    let tx = ctx.tx(record.id).await?;
    q::delete(&tx, record.id.into_uuid()).await.or_internal()?;
    show(
        ctx,
        tx,
        &record,
        branding,
        &format!("tenant:{slug} removed"),
    )
    .await
}

/// The city's logo, for its site (anyone may read it).
pub async fn get(ctx: &Ctx, tenant: &TenantRecord) -> Result<Option<Logo>, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let row = q::get(&tx, tenant.id.into_uuid()).await.or_internal()?;
    Ok(row.map(|r| Logo {
        content_type: r.content_type,
        image: r.image,
        hash: r.hash,
    }))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(width: u32, height: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend(width.to_be_bytes());
        b.extend(height.to_be_bytes());
        b.extend([8, 6, 0, 0, 0]);
        b
    }

    #[test]
    fn images_are_read_from_their_headers() {
        assert_eq!(
            check(&png_of(120, 40)).expect("a PNG"),
            Image {
                content_type: "image/png",
                width: 120,
                height: 40
            }
        );
        // A baseline JPEG: SOI, an APP0 segment, then SOF0.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        jpeg.extend([0xFF, 0xC0, 0, 11, 8, 0, 30, 0, 90, 3]);
        let image = check(&jpeg).expect("a JPEG");
        assert_eq!(
            (image.content_type, image.width, image.height),
            ("image/jpeg", 90, 30)
        );
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        webp.extend([99, 0, 0, 49, 0, 0]);
        let image = check(&webp).expect("a WebP");
        assert_eq!(
            (image.content_type, image.width, image.height),
            ("image/webp", 100, 50)
        );
    }

    #[test]
    fn what_is_not_a_small_image_is_refused_with_a_reason() {
        let message = |b: &[u8]| format!("{:?}", check(b).expect_err("refused"));
        assert!(message(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>").contains("not a PNG"));
        assert!(message(b"").contains("choose an image"));
        assert!(message(&png_of(4000, 10)).contains("at most 2000 pixels"));
        assert!(message(&png_of(0, 10)).contains("no pixels"));
        let mut big = png_of(10, 10);
        big.resize(MAX_BYTES + 1, 0);
        assert!(message(&big).contains("at most 256 KiB"));
        // A truncated JPEG ends the walk instead of reading past the end.
        assert!(message(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 200]).contains("not a PNG"));
    }
}
