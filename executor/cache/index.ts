// Exact-match response cache: keys from the request, entries on disk.
export { cacheKey, requestDigest, type CacheRequestParts } from './key.ts';
export {
  DEFAULT_CACHE_DIR,
  FileResponseCache,
  type CacheLookup,
  type CachedResponse,
  type FileResponseCacheConfig,
  type ResponseCache,
} from './file-cache.ts';
