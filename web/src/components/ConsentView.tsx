/**
 * What happens to the photo, said plainly before any upload. The analysis needs consent; storing
 * the photo is a separate opt-in, off by default.
 */
import { useState } from 'preact/hooks';

export interface Consent {
  storeImage: boolean;
}

export function ConsentView({ onAccept, initialStore }: { onAccept: (c: Consent) => void; initialStore: boolean }) {
  const [agree, setAgree] = useState(false);
  const [store, setStore] = useState(initialStore);
  return (
    <section class="panel narrow" aria-labelledby="consent-h">
      <h1 id="consent-h" tabIndex={-1}>
        Before you take a photo
      </h1>
      <h2>What is processed</h2>
      <p>
        The photo of your face is analysed on this server: face landmarks, skin regions, skin tone, type, texture, wrinkles, dark
        circles, redness and image quality, and (where the models are installed) acne and skin-condition estimates. Nothing is
        sent to anyone else.
      </p>
      <h2>What is stored, and for how long</h2>
      <ul>
        <li>
          The analysis result (the numbers) is kept in your history until you delete it or your account, or until the retention
          period this server's operator may have set.
        </li>
        <li>
          The outline of your face (landmarks and skin regions) is kept for one hour only, so you can see it drawn over your photo,
          unless the operator chose to keep it with the result.
        </li>
        <li>
          The photo itself is <strong>deleted as soon as the analysis ends</strong>, unless you choose below to keep it. A kept photo
          is deleted automatically after the retention period set by this server (30 days unless the operator changed it), or when
          you delete the scan.
        </li>
      </ul>
      <p class="note">This is a cosmetic estimate from one photo, not a medical diagnosis.</p>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (agree) onAccept({ storeImage: store });
        }}
      >
        <label class="check">
          <input type="checkbox" name="consent" required checked={agree} onChange={(e) => setAgree(e.currentTarget.checked)} />
          <span>I agree that my photo is analysed as described above.</span>
        </label>
        <label class="check">
          <input type="checkbox" name="store_image" checked={store} onChange={(e) => setStore(e.currentTarget.checked)} />
          <span>Keep my photo with the result, so my history shows it (optional).</span>
        </label>
        <button type="submit" class="primary" disabled={!agree}>
          Continue
        </button>
      </form>
    </section>
  );
}
