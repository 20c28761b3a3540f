// Builds Chancery Web into the Python package (src/chancery/web_client/dist), which `chancery serve`
// serves at /. Hashed files go to assets/ (cached for a year); a .gz copy of each compressible file
// sits beside it so that the server can send it compressed without compressing on every request.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|webmanifest|wasm)$/;

function precompress(): Plugin {
    // After the files are written: earlier hooks still see code that later plugins rewrite.
    return {
        name: "chancery-precompress",
        apply: "build",
        writeBundle(options, bundle) {
            const dir = options.dir ?? "";
            for (const fileName of Object.keys(bundle)) {
                if (!COMPRESSIBLE.test(fileName)) continue;
                const bytes = readFileSync(join(dir, fileName));
                if (bytes.length < 1024) continue;
                writeFileSync(join(dir, `${fileName}.gz`), gzipSync(bytes, { level: 9 }));
            }
        },
    };
}

export default defineConfig({
    base: "/",
    build: {
        outDir: "../src/chancery/web_client/dist",
        emptyOutDir: true,
        target: "es2022",
        // The crypto WASM (~8 MB) is fetched at sign-in, never inlined.
        assetsInlineLimit: 0,
        chunkSizeWarningLimit: 4096,
        reportCompressedSize: false,
    },
    plugins: [precompress()],
});
