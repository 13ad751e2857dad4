// What the demo llama-server says about itself: the loaded model, the build, the context.

/** The model file the demo server pretends to have loaded (`-m`): every answer's `model`. */
export const LLAMA_MODEL_PATH = 'models/demo-instruct.gguf';
/** The `model` of an answer, whatever the request named (rec 02, 03). */
export const LLAMA_DEFAULT_MODEL = LLAMA_MODEL_PATH;
/** system_fingerprint is the build, "b<number>-<commit>" (rec 02: "b4-8efe1c6"). */
export const LLAMA_FINGERPRINT = 'b5000-0demo000';
/** The per-slot context when ServerOptions.contextLength is not given. */
export const LLAMA_CONTEXT_LENGTH = 4096;
export const INT32_MAX = 2147483647;
