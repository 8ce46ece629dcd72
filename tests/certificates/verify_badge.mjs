// An independent check of Atrium's Open Badges: Digital Bazaar's verifier (@digitalbazaar/vc with the
// eddsa-rdfc-2022 cryptosuite), not Atrium's code. Reads {credential, issuer, statusList, contexts} from the
// file named by argv[2]; every document it may load is in that file or in the shipped contexts folder:
// any other URL fails, so nothing is fetched from the network. Prints {verified, revoked, error}.
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const documents = new Map();
for(const [url, file] of Object.entries(input.contexts.files)) {
  documents.set(url, JSON.parse(readFileSync(join(input.contexts.folder, file), 'utf8')));
}
documents.set(input.issuer.id, input.issuer);
for(const method of input.issuer.verificationMethod) {
  documents.set(method.id, {'@context': 'https://w3id.org/security/multikey/v1', ...method});
}
if(input.statusList) {
  documents.set(input.statusList.id, input.statusList);
}

async function documentLoader(url) {
  if(documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: documents.get(url)};
  }
  throw new Error(`not available offline: ${url}`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});

async function checkStatus({credential}) {
  const entry = credential.credentialStatus;
  const list = documents.get(entry.statusListCredential);
  if(!list) {
    return {verified: false, error: new Error('status list not available')};
  }
  const listResult = await vc.verifyCredential({credential: list, suite, documentLoader});
  if(!listResult.verified) {
    return {verified: false, error: new Error('the status list does not verify')};
  }
  if(list.issuer !== (credential.issuer.id || credential.issuer)) {
    return {verified: false, error: new Error('the status list has another issuer')};
  }
  const {gunzipSync} = await import('node:zlib');
  const bits = gunzipSync(Buffer.from(list.credentialSubject.encodedList.slice(1), 'base64url'));
  const index = Number(entry.statusListIndex);
  const revoked = (bits[index >> 3] & (0x80 >> (index % 8))) !== 0;
  return {verified: !revoked, revoked};
}

let result;
try {
  result = await vc.verifyCredential({
    credential: input.credential, suite, documentLoader,
    checkStatus: input.statusList ? checkStatus : undefined
  });
} catch(error) {
  result = {verified: false, error};
}
const errors = [result.error, ...(result.results || []).map(r => r.error)].filter(Boolean);
console.log(JSON.stringify({
  verified: result.verified,
  revoked: result.statusResult ? Boolean(result.statusResult.revoked) : null,
  error: errors.map(e => String(e && (e.message || e))).join('; ') || null
}));
