// The body builders report the exact UTF-8 size of what they build (the generator plans item
// sizes from it instead of measuring every body).
import { describe, expect, it } from "vitest";
import { Prng } from "../../src/generator/prng.js";
import { htmlBody, prose, textBody } from "../../src/generator/text.js";

describe("body builders", () => {
  it("report the exact UTF-8 size of prose, text and HTML bodies", () => {
    const rng = new Prng(2026);
    const sig = {
      name: "Jürgen Müller",
      title: "מנהלת מוצר",
      company: "Adatum GmbH & Co. KG",
      phone: "+49 30 1234567",
      email: "juergen.mueller@contoso.test",
    };
    for (let round = 0; round < 200; round++) {
      const main = prose(rng, rng.int(1, 6000));
      expect(main.bytes).toEqual(main.paragraphs.map((p) => Buffer.byteLength(p)));
      const quoted =
        round % 3 === 0
          ? undefined
          : {
              fromName: "محمد <Smith> & co",
              fromEmail: "sender1@example.org",
              sent: "Mon, 01 Jan 2024 10:00:00 GMT",
              subject: 'Budget "Q3" 🎉',
              prose: prose(rng, rng.int(1, 3000)),
            };
      const text = textBody(main, sig, quoted);
      expect(text.bytes).toBe(Buffer.byteLength(text.text));
      const html = htmlBody(main, sig, {
        ...(quoted ? { quoted } : {}),
        ...(round % 2 === 0 ? { inlineImageCid: "IMG_1000.jpg@01DA0A1B2C3D.4E5F6071" } : {}),
        rtl: round % 5 === 0,
      });
      expect(html.bytes).toBe(Buffer.byteLength(html.text));
    }
  });
});
