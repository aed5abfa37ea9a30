/**
 * The model spec: the one definition, for serving (TypeScript) and training (Python), of the
 * tasks, their classes in logit order, and the input every classifier takes. `models/spec.json`
 * is this object as JSON (written by `npm run model-spec`, checked equal by
 * test/model-spec.test.ts); training/spec.py and training/ort_run.mjs read that file.
 * A manifest entry may override `input` per model; these are the defaults it starts from.
 */
export const MODEL_SPEC = {
  tasks: {
    acne_binary: { classes: ['no_acne', 'acne'] },
    skin_condition: { classes: ['normal', 'acne', 'rosacea', 'eczema', 'pigmentation'] },
  },
  input: {
    /** Square side in pixels. */
    size: 224,
    layout: 'NCHW',
    /**
     * How the engine's 384 px crop becomes `size`: area averaging (each output pixel the mean of
     * the source pixels it covers, src/engine/face/geometry.ts resizeArea), as `skinsight crop`
     * makes the training inputs.
     */
    resize: 'area',
    /** The aligned face crop (close-ups: the whole image, centre square). */
    crop: 'face',
    /**
     * Per-channel RGB mean and std on 0..1 values: the ImageNet statistics the backbones were
     * pre-trained with (torchvision's published normalisation for its ImageNet models).
     */
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  },
} as const;
