#!/bin/sh
# Compose's one-shot `evidence-bucket` job (image minio/mc): the evidence bucket with S3 Object Lock
# (WORM: an artifact under retention cannot be overwritten or deleted, even by the worker), and a
# MinIO user for the workers that may write and read evidence there and nothing else (no delete).
# Safe to run again: an existing bucket, user or policy is kept.
set -eu
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${BUCKET:?}" "${WORKER_ACCESS_KEY:?}" "${WORKER_SECRET_KEY:?}"

mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
# --with-lock only takes effect when the bucket is created: object lock cannot be added later.
mc mb --ignore-existing --with-lock "local/$BUCKET"

cat > /tmp/tourniquet-evidence.json <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow",
      "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketObjectLockConfiguration"],
      "Resource": ["arn:aws:s3:::$BUCKET"] },
    { "Effect": "Allow",
      "Action": ["s3:PutObject", "s3:GetObject", "s3:PutObjectRetention", "s3:GetObjectRetention"],
      "Resource": ["arn:aws:s3:::$BUCKET/*"] }
  ]
}
POLICY
mc admin user add local "$WORKER_ACCESS_KEY" "$WORKER_SECRET_KEY"
mc admin policy create local tourniquet-evidence /tmp/tourniquet-evidence.json
# attaching a policy that is already attached is refused: that is the state we want
mc admin policy attach local tourniquet-evidence --user "$WORKER_ACCESS_KEY" 2>/dev/null || true
mc admin user info local "$WORKER_ACCESS_KEY" | grep -q tourniquet-evidence
echo "bucket $BUCKET (object lock on), user $WORKER_ACCESS_KEY with policy tourniquet-evidence"
